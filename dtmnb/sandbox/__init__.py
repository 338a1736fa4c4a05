"""Local sandbox servers (S3-compatible and GitHub-compatible) for running tutorials offline."""
