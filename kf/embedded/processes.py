"""Service processes on loopback: `kf serve NAME` as a child with its own log, readiness and signals."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kf.embedded.lifeline import die_with_parent
from kf.embedded.ports import free_port

import httpx


@dataclass
class ServiceProcess:
    """One child process (a service or the dashboard) that can be started, stopped, killed and restarted."""

    name: str
    args: list[str]
    env: dict[str, str]
    port: int
    log: Path
    health: str = "/readyz"
    ends_with_starter: bool = False  # SIGTERM when the starting process ends, even killed by SIGKILL (lifeline.py)
    proc: subprocess.Popen | None = field(default=None, repr=False)
    _log_start: int = field(default=0, repr=False)

    @classmethod
    def service(cls, name: str, env: dict[str, str], port: int, logs: Path,
                ends_with_starter: bool = False) -> "ServiceProcess":
        return cls(name, [sys.executable, "-m", "kf.cli", "serve", name], {**env, "KF_HTTP_PORT": str(port)}, port,
                   logs / f"{name}.log", ends_with_starter=ends_with_starter)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "ServiceProcess":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")  # noqa: SIM115 - handed to the child
        self._log_start = out.tell()  # this start's lines only; the log keeps earlier runs
        # A session of its own: Ctrl-C reaches only the supervisor, which stops children in order.
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True,
                                     preexec_fn=die_with_parent() if self.ends_with_starter else None)
        out.close()
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ready(self) -> bool:
        try:
            return httpx.get(self.url + self.health, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def terminate(self) -> None:
        if self.running():
            self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 20) -> None:
        if self.proc is not None:
            _wait_or_kill(self.proc, timeout)

    def stop(self, timeout: float = 20) -> None:
        self.terminate()
        self.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing — a crash."""
        if self.running():
            self.proc.kill()
            self.proc.wait()

    def lost_its_port(self) -> bool:
        """Exited because another socket took its port between choosing it and binding it."""
        if self.running() or self.proc is None or not self.log.exists():
            return False
        with self.log.open("rb") as log:
            log.seek(self._log_start)
            return b"address already in use" in log.read().lower()

    def move_to(self, port: int) -> "ServiceProcess":
        """Start again on another port (only before anyone was told the old one)."""
        self.args = [str(port) if arg == str(self.port) else arg for arg in self.args]
        self.env = {**self.env, "KF_HTTP_PORT": str(port)}
        self.port = port
        return self.start()

    def restart(self) -> None:
        self.stop()
        self.start()


def wait_ready(children: list[ServiceProcess], timeout: float = 90.0,
               check: Callable[[], None] | None = None) -> list[str]:
    """Wait until every child answers its health path; the problems, if any, name the child and its log.
    `check` is called between polls; it raises to end the wait early (a stop was asked for, say)."""
    pending = {c.name: c for c in children}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name, child in list(pending.items()):
            if check is not None:
                check()
            if not child.running():
                return [f"{name} exited with code {child.proc.returncode if child.proc else '?'}; see {child.log}"]
            if child.ready():
                del pending[name]
        if pending:
            time.sleep(0.2)
    return [f"{name} not ready after {timeout:.0f}s; see {c.log}" for name, c in pending.items()]


def wait_ready_moving_lost_ports(children: list[ServiceProcess], attempts: int = 3,
                                 check: Callable[[], None] | None = None) -> list[str]:
    """Readiness of every child; one whose port a client connection took meanwhile starts again elsewhere."""
    for _ in range(attempts):
        problems = wait_ready(children, check=check)
        lost = [child for child in children if child.lost_its_port()]
        if not problems or not lost:
            return problems
        for child in lost:
            port = free_port()
            print(f"{child.name}: port {child.port} was taken before it could listen; starting it on {port}",
                  file=sys.stderr)
            child.move_to(port)
    return wait_ready(children, check=check)


def end_processes(procs: Iterable[subprocess.Popen], sig: signal.Signals = signal.SIGTERM, timeout: float = 20) -> None:
    """Send `sig` to each process still running, then wait up to `timeout` seconds for each, killing one that has not
    ended by then."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(sig)
    for proc in procs:
        _wait_or_kill(proc, timeout)


def _wait_or_kill(proc: subprocess.Popen, timeout: float) -> None:
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stop_all(children: list[ServiceProcess], timeout: float = 20) -> None:
    for child in reversed(children):
        child.terminate()
    for child in reversed(children):
        child.wait(timeout)
