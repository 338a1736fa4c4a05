      - name: Coverage summary
        run: [[ .CoverageCommand ]]
      - name: Keep the coverage profile
        uses: actions/upload-artifact@v4
        with:
          name: coverage
          path: [[ .CoverageOutput ]]
