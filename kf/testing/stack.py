"""The whole platform as real processes for tests: nats-server plus `kf serve` per service."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from kf.embedded.natsserver import NatsServer
from kf.embedded.ports import free_port
from kf.embedded.processes import ServiceProcess, stop_all, wait_ready
from kf.registry import available_services


class Stack:
    """Start, kill and restart services and NATS; every service uses `database_for(name)`."""

    def __init__(self, root: Path, *, database_for: Callable[[str], str] | None = None,
                 services: list[str] | None = None, env: dict[str, str] | None = None,
                 nats: NatsServer | None = None) -> None:
        self.root = Path(root)
        self.logs = self.root / "logs"
        self.nats = nats or NatsServer(self.root / "jetstream", log_file=self.root / "nats.log")
        self._own_nats = nats is None
        self.names = services or [s.name for s in available_services()]
        self.database_for = database_for or (lambda name: f"sqlite:///{self.root / (name + '.db')}")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KF_")}
        self.env.update({"KF_ENV": "test", "KF_REGION": "ostfold", "KF_HTTP_HOST": "127.0.0.1",
                         "KF_DATA_DIR": str(self.root), "PYTHONUNBUFFERED": "1"})
        self.env.update(env or {})
        self.services: dict[str, ServiceProcess] = {}

    def service_env(self, name: str) -> dict[str, str]:
        return {**self.env, "KF_NATS_URL": self.nats.url, "KF_DATABASE_URL": self.database_for(name)}

    def start(self) -> "Stack":
        if self._own_nats and not self.nats.running:
            self.nats.start()
        for name in self.names:
            env = self.service_env(name)
            done = subprocess.run([sys.executable, "-m", "kf.cli", "migrate", name], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"kf migrate {name} failed: {done.stderr[-2000:]}")
            self.services[name] = ServiceProcess.service(name, env, free_port(), self.logs).start()
        problems = wait_ready(list(self.services.values()))
        if problems:
            self.stop()
            raise RuntimeError("; ".join(problems) + "\n" + self.log_tail())
        return self

    def url(self, name: str) -> str:
        return self.services[name].url

    def kill(self, name: str) -> None:
        self.services[name].kill()

    def restart(self, name: str, *, wait: bool = True) -> None:
        service = self.services[name]
        service.stop()
        service.start()
        if wait:
            self.wait_ready(name)

    def start_again(self, name: str) -> None:
        self.services[name].start()
        self.wait_ready(name)

    def wait_ready(self, *names: str, timeout: float = 60) -> None:
        problems = wait_ready([self.services[n] for n in (names or self.services)], timeout=timeout)
        if problems:
            raise RuntimeError("; ".join(problems) + "\n" + self.log_tail())

    def log_tail(self, chars: int = 2000) -> str:
        parts = []
        for service in self.services.values():
            if service.log.is_file():
                parts.append(f"--- {service.name}\n{service.log.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        stop_all(list(self.services.values()))
        if self._own_nats:
            self.nats.stop()
