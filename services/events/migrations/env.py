"""Alembic environment of the events service."""

from kf.runtime.migrations import run_env
from services.events.store import metadata

run_env(metadata)
