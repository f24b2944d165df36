"""What a user sees when `kf` is given bad arguments, and what `kf migrate --revision` reports: a `kf …` message that
names the option and what was expected, exit code 2 (1 for a refused downgrade), never a stack trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alembic.script import ScriptDirectory

from kf.registry import get_service
from kf.runtime.migrations import alembic_config, revisions

KF = str(Path(sys.executable).parent / "kf")


def kf(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KF_")}
    return subprocess.run([KF, *args], cwd=cwd, env={**clean, **(env or {})}, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["up", "--nats-port", "70000"], {}, "argument --nats-port: expected a port number from 1 to 65535, got 70000"),
    (["up", "--dashboard-port", "0"], {}, "argument --dashboard-port: expected a port number from 1 to 65535, got 0"),
    (["up", "--port-base", "65533"], {}, "argument --port-base: the 4 services listen on --port-base and the 3 ports "
                                         "after it, so expected at most 65532, got 65533"),
    (["up", "--data-dir", "a-file/var"], {}, "kf: --data-dir a-file/var: cannot use it as the data directory"),
    (["up", "--region", "viken"], {}, "argument --region: unknown region 'viken'; expected one of ostfold, "
                                      "vestfold-telemark"),
    (["up"], {"KF_REGION": "viken"}, "KF_REGION: unknown region 'viken'; expected one of ostfold, vestfold-telemark"),
    (["up", "--demo", "--region", "vestfold-telemark"], {},
     "argument --demo: there is demo data only for ostfold, not for vestfold-telemark"),
    (["docs", "--out", "a-file"], {}, "kf: --out a-file: expected a folder, but a-file is a file"),
    (["docs", "--out", "a-file/docs"], {}, "kf: --out a-file/docs: expected a folder, but a-file/docs lies under a file"),
])
def test_bad_arguments_get_a_message_and_exit_code_2(tmp_path, args, env, expected):
    (tmp_path / "a-file").write_text("not a folder\n")
    result = kf(*args, cwd=tmp_path, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "var").exists(), "nothing was started"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"], "nothing was created"


def test_migrate_reports_the_revision_and_refuses_an_older_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    env = {"KF_ENV": "test", "KF_REGION": "ostfold", "KF_DATABASE_URL": url, "KF_DATA_DIR": str(tmp_path)}
    migrations = str(get_service("metrics").migrations_dir())
    head = ScriptDirectory.from_config(alembic_config("metrics", migrations, url)).get_current_head()

    first = kf("migrate", "metrics", "--revision", "0003", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"metrics: database migrated from an empty database to revision 0003_metrics " \
                                   f"(head is {head})"

    older = kf("migrate", "metrics", "--revision", "0001", cwd=tmp_path, env=env)
    assert older.returncode == 1, older.stdout
    assert "migrated" not in older.stdout
    assert ("kf: the metrics database is at revision 0003_metrics; --revision 0001 (0001_metrics) is older: "
            "`kf migrate` only upgrades, downgrades are not offered. Nothing changed.") in older.stderr
    assert revisions("metrics", migrations, url)[0] == "0003_metrics"

    same = kf("migrate", "metrics", "--revision", "0003_metrics", cwd=tmp_path, env=env)
    assert same.returncode == 0
    assert same.stdout.strip() == f"metrics: database already at revision 0003_metrics (head is {head}); nothing to do"

    unknown = kf("migrate", "metrics", "--revision", "9999", cwd=tmp_path, env=env)
    assert unknown.returncode == 2
    assert "kf: cannot migrate metrics to --revision 9999: Can't locate revision identified by '9999'" in unknown.stderr
    assert "Traceback" not in unknown.stderr

    latest = kf("migrate", "metrics", cwd=tmp_path, env=env)
    assert latest.returncode == 0, latest.stderr
    assert latest.stdout.strip() == f"metrics: database migrated from 0003_metrics to revision {head} (head)"
    assert revisions("metrics", migrations, url)[0] == head
