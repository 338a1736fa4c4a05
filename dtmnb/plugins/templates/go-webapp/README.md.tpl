# [[ .AppName ]]

A small Go web service, scaffolded by dtmnb (DevStream's engine for notebooks).

- Module: `github.com/[[ .Repo.Owner ]]/[[ .Repo.Name ]]`
- Container image: `[[ .ImageRepo ]]`

## Run it

```shell
make run            # http://localhost:8080/healthz and /notes
make test
make docker-build   # builds [[ .ImageRepo ]]:latest
```

## API

| Method | Path          | What it does            |
|--------|---------------|-------------------------|
| GET    | `/healthz`    | liveness probe          |
| GET    | `/notes`      | list all notes          |
| GET    | `/notes/:id`  | one note                |
| POST   | `/notes`      | add a note (JSON body)  |

## Deploy with Helm

```shell
helm install [[ .AppName ]] helm/[[ .AppName ]]
```
