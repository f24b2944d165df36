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


def test_a_replay_that_stops_moving_gives_up_with_a_message(tmp_path, nats_server):
    """No limit on the whole replay (a large history takes long), but one that acknowledges nothing for
    --stall-seconds stops with a message. Here every organisation the replay writes is refused by the database."""
    from bench.history import History
    from bench.publish import publish
    from kf.testing.fixtures import migrate

    history = History()
    for i in range(5):
        history.org(f"o{i}", "county")
    publish(nats_server.url, history.events)
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    migrate("metrics", url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TRIGGER refuse BEFORE INSERT ON mx_organisations "
                             "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    engine.dispose()
    env = {**os.environ, "KF_ENV": "test", "KF_REGION": "ostfold", "KF_DATABASE_URL": url,
           "KF_DATA_DIR": str(tmp_path), "KF_NATS_URL": nats_server.url}
    result = subprocess.run([KF, "replay", "metrics", "--stall-seconds", "3"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.strip().splitlines()[-1].startswith(
        "kf replay metrics: nothing acknowledged for 3s (see the log for why)"), result.stderr
    assert "Traceback" not in result.stderr


def test_replay_refuses_a_stall_limit_that_is_not_a_positive_number(tmp_path):
    result = subprocess.run([KF, "replay", "metrics", "--stall-seconds", "0"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "--stall-seconds: expected a number of seconds above 0, got 0" in result.stderr
