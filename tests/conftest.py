"""Shared fixtures: real nats-server, SQLite and PostgreSQL, in-process services (see kf/testing)."""

pytest_plugins = ["kf.testing.fixtures"]
