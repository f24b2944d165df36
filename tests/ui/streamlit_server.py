"""`streamlit run` of a dashboard script for a browser or wire test: started on a free port, waited on until it
answers its health check, and stopped (killed if it does not end) when the test is done."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from kf.embedded.ports import free_port
from kf.embedded.processes import end_processes
from kf.testing.streams import wait_until


@contextmanager
def streamlit_running(script: str | Path, env: dict[str, str], log: Path, *, cwd: Path | None = None,
                      timeout: float = 60) -> Iterator[str]:
    """The dashboard's URL while it runs; its output goes to `log`."""
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
                                 "--server.address", "127.0.0.1", "--server.headless", "true",
                                 "--browser.gatherUsageStats", "false"],
                                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            return httpx.get(url + "/_stcore/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout=timeout, interval=0.2, what="streamlit to answer /_stcore/health")
        yield url
    finally:
        end_processes([proc], timeout=30)
