replicaCount: 1

image:
  # The repository is [[ .ImageRepo ]] (set in templates/deployment.yaml).
  pullPolicy: IfNotPresent
  # Overrides the image tag; the chart's appVersion is used when empty.
  tag: ""

service:
  type: ClusterIP
  port: 80

containerPort: 8080

resources: {}
