[[ .Marker ]]
name: Pull Request Builder
on:
  pull_request:
    branches: [[ .Branches ]]
permissions:
  contents: read
jobs:
