"""`streamlit run ui/app.py` as `kf up` starts it: how long until the overview shows its first KPI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.ui.conftest import APP, ui_env
from tests.ui.seed import Seeded
from tests.ui.stack import Stack
from tests.ui.streamlit_server import streamlit_running
from tests.ui.wire import first_kpi


@pytest.fixture
def streamlit_server(stack: Stack, seeded: Seeded, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KF_UI_")} | ui_env(stack.urls)
    with streamlit_running(APP, env, tmp_path / "streamlit.log", timeout=30) as url:
        yield url


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
