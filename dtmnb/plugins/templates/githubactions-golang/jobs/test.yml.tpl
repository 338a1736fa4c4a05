  test:
    name: Test
    runs-on: ubuntu-latest
    steps:
      - name: Check out the code
        uses: actions/checkout@v4
      - name: Set up Go
        uses: actions/setup-go@v5
        with:
          [[ .GoVersionKey ]]: [[ .GoVersion ]]
      - name: Test
        run: [[ .TestCommand ]]
