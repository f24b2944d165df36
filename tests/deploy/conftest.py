"""Fixtures for the deployment tests: the NATS permissions generator and a nats-server that enforces it."""

from __future__ import annotations

import importlib.util
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from kf.embedded.natsserver import NatsServer

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def load_natsconfig() -> ModuleType:
    """`deploy/nats/natsconfig.py` is a script beside the manifests, not a package: load it by path."""
    name = "kf_deploy_natsconfig"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, DEPLOY / "nats" / "natsconfig.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def natsconfig() -> ModuleType:
    return load_natsconfig()


@pytest.fixture
def nats_passwords(natsconfig, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh password per NATS user, in the environment the way the Helm chart's Secret puts them there.

    nats-server parses a `$VARIABLE` value as a config token, so a password must start with a letter and hold
    only letters and digits (a leading digit or '-' reads as a number); docs/operations.md says the same."""
    passwords = {var: "p" + secrets.token_hex(16) for var in natsconfig.password_vars()}
    for var, value in passwords.items():
        monkeypatch.setenv(var, value)
    return passwords


@pytest.fixture
def secured_nats(natsconfig, nats_passwords, tmp_path: Path) -> Iterator[NatsServer]:
    """A real nats-server with JetStream running deploy/nats/nats-server.conf on a free port."""
    server = NatsServer(tmp_path / "secured-jetstream", config_file=natsconfig.CONF_FILE,
                        log_file=tmp_path / "secured-nats.log").start()
    yield server
    server.stop()
