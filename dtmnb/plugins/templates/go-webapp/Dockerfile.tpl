# Build stage: compile a static binary.
FROM golang:1.21-alpine AS build
WORKDIR /src/github.com/[[ .Repo.Owner ]]/[[ .Repo.Name ]]
COPY . .
RUN go mod tidy && CGO_ENABLED=0 go build -o /out/[[ .AppName ]] ./cmd/[[ .AppName ]]

# Run stage: only the binary.
FROM alpine:3.19
COPY --from=build /out/[[ .AppName ]] /usr/local/bin/[[ .AppName ]]
EXPOSE 8080
USER 65534
ENTRYPOINT ["/usr/local/bin/[[ .AppName ]]"]
