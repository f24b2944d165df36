"""`kf up`: the whole platform on its embedded default, as child processes of one supervisor."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kf.embedded.natsserver import NatsServer
from kf.embedded.ports import free_port, port_bindable
from kf.embedded.processes import ServiceProcess, stop_all, wait_ready_moving_lost_ports
from kf.registry import DASHBOARD_PORT, available_services
from kf.runtime.settings import DEV_TOKEN


def _port(wanted: int) -> int:
    return wanted if port_bindable(wanted) else free_port()


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
    children: list[ServiceProcess] = []
    try:
        for offset, spec in enumerate(available_services()):
            migrate = subprocess.run([sys.executable, "-m", "kf.cli", "migrate", spec.name], env=base_env,
                                     capture_output=True, text=True)
            if migrate.returncode != 0:
                print(f"kf up: migrating {spec.name} failed:\n{migrate.stderr[-2000:]}", file=sys.stderr)
                return 1
            children.append(ServiceProcess.service(spec.name, base_env, _port(port_base + offset), logs).start())
        problems = wait_ready_moving_lost_ports(children)
        if problems:
            print("kf up: " + "\n".join(problems), file=sys.stderr)
            return 1
        urls = {c.name: c.url for c in children}
        if demo:
            from kf.demo import seed_if_empty
            from kf.demo.client import DemoError

            try:
                print(seed_if_empty(urls, DEV_TOKEN, region), flush=True)
            except DemoError as exc:
                print(f"kf up: seeding the demo data failed, the platform runs without it: {exc}", file=sys.stderr)
        ui = importlib.util.find_spec("ui.app")
        if dashboard and ui is not None and ui.origin:
            port = _port(dashboard_port)
            ui_env = {**base_env, "KF_UI_TOKEN": DEV_TOKEN, "KF_UI_REGIONS": region,
                      **{f"KF_UI_{name.upper()}_URL": url for name, url in urls.items()}}
            children.append(ServiceProcess(
                "dashboard", [sys.executable, "-m", "streamlit", "run", ui.origin, "--server.port", str(port),
                              "--server.address", "127.0.0.1", "--server.headless", "true",
                              "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
                              "--client.showErrorDetails", "none"],
                ui_env, port, logs / "dashboard.log", health="/_stcore/health").start())
            problems = wait_ready_moving_lost_ports(children[-1:])
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
                if not child.running():
                    print(f"kf up: {child.name} stopped (code {child.proc.returncode}); see {child.log}", file=sys.stderr)
                    return 1
            time.sleep(0.5)
        print("\nkf up: stopping...", flush=True)
        return 0
    finally:
        stop_all(children)
        nats.stop()
        print("kf up: stopped.", flush=True)
