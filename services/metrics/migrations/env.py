"""Alembic environment of the metrics service."""

from kf.runtime.migrations import run_env
from services.metrics.store import metadata

run_env(metadata)
