"""Test kit: real nats-server and PostgreSQL processes, and pytest fixtures every service reuses."""
