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


class OlderRevision(ValueError):
    """The requested revision is older than the database's: `upgrade` only upgrades."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"the database is at {current}; {target} is older (downgrades are not offered)")
        self.current = current
        self.target = target


def upgrade(service: str, migrations_dir: str, url: str, revision: str = "head") -> tuple[str | None, str | None, str | None]:
    """Upgrade to `revision` (an id, a unique prefix of one, or `head`); (revision before, revision after, head).

    Raises OlderRevision, changing nothing, when `revision` is older than the database's current one (Alembic's
    upgrade would silently do nothing), and alembic's CommandError for a revision it does not know."""
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError

    config = alembic_config(service, migrations_dir, url)
    script = ScriptDirectory.from_config(config)
    target = script.get_revision(revision)  # CommandError when unknown or ambiguous
    before, head = revisions(service, migrations_dir, url)
    if before is not None and target is not None and target.revision != before:
        try:
            older = {r.revision for r in script.iterate_revisions(before, "base")}
        except RevisionError:  # a revision this code does not know (newer code migrated it): upgrade says so
            older = set()
        if target.revision in older:
            raise OlderRevision(before, target.revision)
    command.upgrade(config, revision)
    after, head = revisions(service, migrations_dir, url)
    return before, after, head


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
