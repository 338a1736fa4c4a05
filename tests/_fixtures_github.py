"""GitHub-compatible API fixtures (our sandbox server over HTTP): filled in with the GitHub plugin."""
