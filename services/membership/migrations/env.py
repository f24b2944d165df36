"""Alembic environment of the membership service."""

from kf.runtime.migrations import run_env
from services.membership.store import metadata

run_env(metadata)
