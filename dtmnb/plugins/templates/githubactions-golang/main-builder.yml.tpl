[[ .Marker ]]
name: Main Branch Builder
on:
  push:
    branches: [[ .Branches ]]
permissions:
  contents: read
jobs:
