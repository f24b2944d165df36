"""Alembic environment of the measures service."""

from kf.runtime.migrations import run_env
from services.measures.store import metadata

run_env(metadata)
