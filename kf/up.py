"""`kf up`: the whole platform on its embedded default, as child processes of one supervisor."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from kf.registry import DASHBOARD_PORT, available_services
from kf.runtime.settings import DEV_TOKEN
from kf.embedded.natsserver import NatsServer
from kf.embedded.ports import free_port, port_open


@dataclass
class Child:
    name: str
    url: str
    proc: subprocess.Popen
    log: Path
    health: str = "/readyz"
    extra: dict = field(default_factory=dict)


def _port(wanted: int) -> int:
    return wanted if not port_open(wanted) else free_port()


def _spawn(name: str, args: list[str], env: dict[str, str], logs: Path) -> tuple[subprocess.Popen, Path]:
    log_path = logs / f"{name}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
    # A session of its own: Ctrl-C reaches only the supervisor, which stops children in order.
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return proc, log_path


def _wait_ready(children: list[Child], timeout: float = 90.0) -> list[str]:
    pending = {c.name: c for c in children}
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for name, child in list(pending.items()):
            if child.proc.poll() is not None:
                return [f"{name} exited with code {child.proc.returncode}; see {child.log}"]
            try:
                if httpx.get(child.url + child.health, timeout=1).status_code == 200:
                    del pending[name]
            except httpx.HTTPError:
                pass
        time.sleep(0.3)
    return [f"{name} not ready after {timeout:.0f}s; see {c.log}" for name, c in pending.items()]


def _stop(children: list[Child], nats: NatsServer | None) -> None:
    for child in reversed(children):
        if child.proc.poll() is None:
            child.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in reversed(children):
        try:
            child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.proc.kill()
            child.proc.wait()
    if nats is not None:
        nats.stop()


def run_platform(*, demo: bool, data_dir: str, nats_port: int, port_base: int, dashboard: bool,
                 dashboard_port: int = DASHBOARD_PORT, region: str = "ostfold") -> int:
    data = Path(data_dir).resolve()
    logs = data / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stop_requested = False

    def request_stop(_sig, _frame) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    nats = NatsServer(data / "jetstream", port=_port(nats_port), log_file=logs / "nats.log").start()
    base_env = {**os.environ, "KF_ENV": "development", "KF_REGION": region, "KF_NATS_URL": nats.url,
                "KF_DATA_DIR": str(data), "KF_HTTP_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
    base_env.pop("KF_DATABASE_URL", None)
    children: list[Child] = []
    try:
        for offset, spec in enumerate(available_services()):
            migrate = subprocess.run([sys.executable, "-m", "kf.cli", "migrate", spec.name], env=base_env,
                                     capture_output=True, text=True)
            if migrate.returncode != 0:
                print(f"kf up: migrating {spec.name} failed:\n{migrate.stderr[-2000:]}", file=sys.stderr)
                return 1
            port = _port(port_base + offset)
            proc, log = _spawn(spec.name, [sys.executable, "-m", "kf.cli", "serve", spec.name],
                               {**base_env, "KF_HTTP_PORT": str(port)}, logs)
            children.append(Child(spec.name, f"http://127.0.0.1:{port}", proc, log))
        problems = _wait_ready(children)
        if problems:
            print("kf up: " + "\n".join(problems), file=sys.stderr)
            return 1
        urls = {c.name: c.url for c in children}
        if demo:
            from kf.demo import seed_if_empty

            print(seed_if_empty(urls, DEV_TOKEN, region))
        ui = importlib.util.find_spec("ui.app")
        if dashboard and ui is not None and ui.origin:
            port = _port(dashboard_port)
            ui_env = {**base_env, "KF_UI_TOKEN": DEV_TOKEN, "KF_UI_REGIONS": region,
                      **{f"KF_UI_{name.upper()}_URL": url for name, url in urls.items()}}
            proc, log = _spawn("dashboard", [sys.executable, "-m", "streamlit", "run", ui.origin, "--server.port", str(port),
                                             "--server.address", "127.0.0.1", "--server.headless", "true",
                                             "--browser.gatherUsageStats", "false"], ui_env, logs)
            children.append(Child("dashboard", f"http://127.0.0.1:{port}", proc, log, health="/_stcore/health"))
            problems = _wait_ready(children[-1:])
            if problems:
                print("kf up: " + "\n".join(problems), file=sys.stderr)
        print("\nkompetanseforum is running (Ctrl-C stops everything; data stays in " + str(data) + "):")
        print(f"  {'nats':<11} {nats.url}")
        for child in children:
            print(f"  {child.name:<11} {child.url}" + ("" if child.name == "dashboard" else f"   (API docs: {child.url}/docs)"))
        print(f"  development API token: {DEV_TOKEN}")
        print(f"  logs: {logs}", flush=True)
        while not stop_requested:
            for child in children:
                if child.proc.poll() is not None:
                    print(f"kf up: {child.name} stopped (code {child.proc.returncode}); see {child.log}", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        print("\nkf up: stopping...", flush=True)
        return 0
    finally:
        _stop(children, nats)
        print("kf up: stopped.", flush=True)
