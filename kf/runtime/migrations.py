"""Alembic per service: each service's `migrations/` folder, its own version table, any URL."""

from __future__ import annotations

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from kf.runtime.db import make_engine, normalise_url


def alembic_config(service: str, migrations_dir: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", migrations_dir)
    config.attributes["url"] = normalise_url(url)
    config.attributes["service"] = service
    return config


def upgrade(service: str, migrations_dir: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service, migrations_dir, url), revision)


def revisions(service: str, migrations_dir: str, url: str) -> tuple[str | None, str | None]:
    """(the database's current revision or None when it was never migrated, the newest revision of the code)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(service, migrations_dir, url)).get_current_head()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection, opts={"version_table": f"alembic_version_{service}"}
                                                 ).get_current_revision()
    finally:
        engine.dispose()
    return current, head


def run_env(metadata: MetaData) -> None:
    """The body of every service's `migrations/env.py`."""
    config = context.config
    service = config.attributes["service"]
    engine = make_engine(config.attributes["url"])
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          version_table=f"alembic_version_{service}", render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
