"""Developer helpers around Alembic: autogenerate a revision, check models and migrations agree."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData

from kf.runtime.db import make_engine
from kf.runtime.migrations import alembic_config


def revision(service: str, migrations_dir: str, url: str, message: str) -> None:
    command.revision(alembic_config(service, migrations_dir, url), message=message, autogenerate=True)


def differences(metadata: MetaData, url: str, service: str) -> list:
    """What the migrated database lacks compared with the models (empty when they agree)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "version_table": f"alembic_version_{service}"})
        diff = compare_metadata(ctx, metadata)
    engine.dispose()
    return diff
