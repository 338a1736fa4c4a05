apiVersion: v2
name: [[ .AppName ]]
description: A Helm chart for [[ .AppName ]], scaffolded by dtmnb
type: application
version: 0.1.0
appVersion: "latest"
