"""S3 server fixtures (real servers over HTTP): filled in with the S3 backend."""
