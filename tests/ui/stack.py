"""The real services for the dashboard tests: a nats-server and each service as a `kf serve` subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from kf.embedded.natsserver import NatsServer
from kf.embedded.ports import free_port
from kf.embedded.processes import end_processes
from kf.registry import available_services
from kf.testing.fixtures import REGION, TOKENS, tokens_json
from kf.testing.streams import wait_until


@dataclass
class Stack:
    nats: NatsServer
    urls: dict[str, str]
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def has(self, service: str) -> bool:
        return service in self.urls

    def client(self, service: str, role: str = "coordinator") -> httpx.Client:
        return httpx.Client(base_url=self.urls[service], headers={"Authorization": f"Bearer {TOKENS[role]}"}, timeout=15)

    def log_tail(self, service: str) -> str:
        return self.logs[service].read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        end_processes(self.procs.values(), timeout=15)
        self.nats.stop()


def service_env(data_dir: Path, nats_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KF_")}
    env.update({"KF_ENV": "test", "KF_REGION": REGION, "KF_NATS_URL": nats_url, "KF_DATA_DIR": str(data_dir),
                "KF_HTTP_HOST": "127.0.0.1", "KF_HTTP_PORT": str(port), "KF_API_TOKENS": tokens_json(),
                "KF_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"})
    return env


def start_stack(data_dir: Path) -> Stack:
    """Migrate and start every service present in this build, all at once, and wait until each is ready."""
    data_dir.mkdir(parents=True, exist_ok=True)
    nats = NatsServer(data_dir / "jetstream").start()
    stack = Stack(nats=nats, urls={})
    try:
        names = [spec.name for spec in available_services()]
        ports = {name: free_port() for name in names}
        migrations = {name: subprocess.Popen([sys.executable, "-m", "kf.cli", "migrate", name],
                                             env=service_env(data_dir, nats.url, ports[name]),
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                      for name in names}
        for name, proc in migrations.items():
            out, _ = proc.communicate(timeout=60)
            if proc.returncode != 0:
                raise RuntimeError(f"migrating {name} failed:\n{out.decode(errors='replace')[-2000:]}")
        for name in names:
            log = data_dir / f"{name}.log"
            with open(log, "ab") as out:
                stack.procs[name] = subprocess.Popen([sys.executable, "-m", "kf.cli", "serve", name],
                                                     env=service_env(data_dir, nats.url, ports[name]),
                                                     stdout=out, stderr=subprocess.STDOUT)
            stack.logs[name] = log
            stack.urls[name] = f"http://127.0.0.1:{ports[name]}"

        def all_ready() -> bool:
            for name, url in stack.urls.items():
                if stack.procs[name].poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{stack.log_tail(name)}")
                try:
                    if httpx.get(url + "/readyz", timeout=1).status_code != 200:
                        return False
                except httpx.HTTPError:
                    return False
            return True

        wait_until(all_ready, timeout=60, interval=0.2, what="the services to be ready")
        return stack
    except BaseException:
        stack.stop()
        raise
