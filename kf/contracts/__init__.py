"""The published event catalogue: envelope, subjects and streams, one module per bounded context."""
