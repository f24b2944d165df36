"""Fixtures of the dashboard tests: one running stack with seeded data for the whole session, and AppTest."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from kf.embedded.ports import free_port
from kf.testing.fixtures import TOKENS
from tests.ui.fakes import URLS, FakeServices
from tests.ui.seed import Seeded, seed
from tests.ui.stack import Stack, start_stack
from ui.settings import SERVICES

APP = str(Path(__file__).resolve().parents[2] / "ui" / "app.py")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("ui-stack"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def seeded(stack: Stack) -> Seeded:
    return seed(stack)


def closed_url() -> str:
    """A URL nothing listens on: a free port that was just released."""
    return f"http://127.0.0.1:{free_port()}"


def ui_env(urls: dict[str, str], token: str | None = TOKENS["admin"], regions: str = "ostfold") -> dict[str, str]:
    """The dashboard's settings; a service missing from `urls` points at a closed port."""
    env = {f"KF_UI_{name.upper()}_URL": urls.get(name) or closed_url() for name in SERVICES}
    if token:
        env["KF_UI_TOKEN"] = token
    env["KF_UI_REGIONS"] = regions
    return env


@pytest.fixture
def dashboard(monkeypatch: pytest.MonkeyPatch):
    """Make an AppTest of the dashboard configured by `KF_UI_*` variables, with an empty API cache."""
    from ui.apiclient import clear_cache

    def make(env: dict[str, str]) -> AppTest:
        for name in list(os.environ):
            if name.startswith("KF_UI_"):
                monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        clear_cache()
        return AppTest.from_file(APP, default_timeout=30)

    return make


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeServices:
    """The four services answered in-process (see `tests/ui/fakes.py`); edit `fake.routes` to change an answer."""
    services = FakeServices()
    monkeypatch.setattr(httpx, "request", services)
    return services


@pytest.fixture
def fake_dashboard(fake: FakeServices, dashboard):
    """Make an AppTest of the dashboard against the fake services; `token=None` leaves KF_UI_TOKEN unset."""
    def make(token: str | None = "tok", **env: str) -> AppTest:
        settings = {f"KF_UI_{name.upper()}_URL": url for name, url in URLS.items()}
        if token is not None:
            settings["KF_UI_TOKEN"] = token
        return dashboard({**settings, **env})

    return make
