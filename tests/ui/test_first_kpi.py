"""`streamlit run ui/app.py` as `kf up` starts it: how long until the overview shows its first KPI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from kf.embedded.ports import free_port
from kf.testing.streams import wait_until
from tests.ui.conftest import APP, ui_env
from tests.ui.seed import Seeded
from tests.ui.stack import Stack
from tests.ui.wire import first_kpi


@pytest.fixture
def streamlit_server(stack: Stack, seeded: Seeded, tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KF_UI_")} | ui_env(stack.urls)
    log = tmp_path / "streamlit.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", APP, "--server.port", str(port),
                                 "--server.address", "127.0.0.1", "--server.headless", "true",
                                 "--browser.gatherUsageStats", "false"], env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited:\n{log.read_text()[-2000:]}")
        try:
            return httpx.get(url + "/_stcore/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, timeout=30, interval=0.1, what="streamlit to answer /_stcore/health")
    yield url
    proc.terminate()
    proc.wait(timeout=15)


def test_the_overview_shows_the_first_kpi_as_the_metrics_api_computes_it(streamlit_server, stack, capsys):
    with stack.client("metrics", role="viewer") as http:
        members = next(k["value"] for k in http.get("/kpis").json() if k["id"] == "members")
    cold = first_kpi(streamlit_server)
    warm = first_kpi(streamlit_server)
    assert (cold.label, cold.value) == ("Medlemskap", f"{int(members)}")
    assert (warm.label, warm.value) == (cold.label, cold.value)
    with capsys.disabled():
        print(f"\n[dashboard] time to first KPI on the overview: cold {cold.seconds:.3f} s (first session after "
              f"start), warm {warm.seconds:.3f} s (second session, API answers cached)")
