"""`kf replay` on a database that is not migrated to the code's revision stops with a clear message and changes
nothing (it used to fail inside the replay with a stack trace, after deleting the durable consumers)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, inspect

from alembic.script import ScriptDirectory

from kf.runtime.migrations import alembic_config, upgrade
from kf.registry import get_service

KF = str(Path(sys.executable).parent / "kf")


def replay(url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "KF_ENV": "test", "KF_REGION": "ostfold", "KF_DATABASE_URL": url, "KF_DATA_DIR": str(tmp_path),
           "KF_NATS_URL": "nats://127.0.0.1:1"}  # never reached: the check comes first
    return subprocess.run([KF, "replay", "metrics"], env=env, capture_output=True, text=True, timeout=60)


def test_replay_refuses_a_database_that_was_never_migrated(tmp_path):
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    result = replay(url, tmp_path)
    assert result.returncode != 0
    assert "revision none (never migrated)" in result.stderr and "run `kf migrate metrics` first" in result.stderr
    assert "Traceback" not in result.stderr
    engine = create_engine(url)
    assert inspect(engine).get_table_names() == [], "nothing was created or changed"
    engine.dispose()


def test_replay_refuses_a_database_one_migration_behind(tmp_path):
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    migrations = str(get_service("metrics").migrations_dir())
    scripts = ScriptDirectory.from_config(alembic_config("metrics", migrations, url))
    head = scripts.get_current_head()
    behind = scripts.get_revision(head).down_revision
    upgrade("metrics", migrations, url, behind)
    result = replay(url, tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"is at revision {behind}" in result.stderr and f"needs {head}" in result.stderr
