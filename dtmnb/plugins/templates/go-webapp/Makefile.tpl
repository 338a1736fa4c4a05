APP := [[ .AppName ]]
IMAGE := [[ .ImageRepo ]]
TAG ?= latest

.PHONY: help tidy run test build docker-build clean

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "%-14s %s\n", $$1, $$2}'

tidy: ## Download dependencies
	go mod tidy

run: tidy ## Run the server on :8080
	go run ./cmd/$(APP)

test: tidy ## Run the unit tests
	go test ./...

build: tidy ## Build bin/$(APP)
	go build -o bin/$(APP) ./cmd/$(APP)

docker-build: ## Build the container image
	docker build -t $(IMAGE):$(TAG) .

clean: ## Remove build output
	rm -rf bin
