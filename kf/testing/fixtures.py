"""pytest fixtures shared by every service's tests: real NATS, SQLite and PostgreSQL, service apps."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kf.registry import get_service
from kf.runtime.migrations import upgrade
from kf.embedded.natsserver import NatsServer
from kf.testing.postgres import EmbeddedPostgres, create_database, drop_database, reachable

REGION = "ostfold"
OTHER_REGION = "vestfold-telemark"
TOKENS = {
    "viewer": "test-viewer-token-0001",
    "coordinator": "test-coordinator-token-0001",
    "admin": "test-admin-token-0001",
    "other_region": "test-other-region-token-0001",
}


def tokens_json(region: str = REGION) -> str:
    return json.dumps([
        {"name": "viewer", "token": TOKENS["viewer"], "role": "viewer", "region": region},
        {"name": "coordinator", "token": TOKENS["coordinator"], "role": "coordinator", "region": region},
        {"name": "admin", "token": TOKENS["admin"], "role": "admin", "region": region},
        {"name": "other", "token": TOKENS["other_region"], "role": "admin", "region": OTHER_REGION},
    ])


def auth(role: str = "coordinator") -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "jetstream").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    url = os.environ.get("KF_TEST_POSTGRES_URL")
    if url:
        if not reachable(url):
            pytest.fail(f"KF_TEST_POSTGRES_URL is set but PostgreSQL does not answer at {url}")
        yield url
        return
    server = EmbeddedPostgres().start()
    yield server.url
    server.stop()


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    url = create_database(postgres_admin_url)
    yield url
    drop_database(postgres_admin_url, url)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return request.getfixturevalue("postgres_url")


def service_settings(service: str, *, database_url: str, nats_url: str, region: str = REGION, **extra):
    spec = get_service(service)
    values = {"env": "test", "region": region, "nats_url": nats_url, "database_url": database_url,
              "api_tokens": tokens_json(region), "data_dir": str(Path(database_url.removeprefix("sqlite:///")).parent)
              if database_url.startswith("sqlite") else "var"}
    values.update(extra)
    return spec.settings_class()(**values)


def migrate(service: str, database_url: str) -> None:
    upgrade(service, str(get_service(service).migrations_dir()), database_url)


@pytest.fixture
def service_app(tmp_path: Path, nats_server: NatsServer) -> Iterator[Callable[..., TestClient]]:
    """Start a service in-process (migrated database, real NATS) and give an HTTP client for it.

    Depends on `nats_server` so the services stop before the server does."""
    stack = ExitStack()

    def start(service: str, *, nats_url: str | None = None, database_url: str | None = None, **extra) -> TestClient:
        nats_url = nats_url or nats_server.url
        url = database_url or f"sqlite:///{tmp_path / (service + '.db')}"
        migrate(service, url)
        settings = service_settings(service, database_url=url, nats_url=nats_url, **extra)
        app = get_service(service).create_app()(settings)
        client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
        runtime = app.state.runtime
        from kf.testing.streams import wait_until
        wait_until(runtime.connected.is_set, timeout=15, what=f"{service} connected to NATS")
        return client

    yield start
    stack.close()
