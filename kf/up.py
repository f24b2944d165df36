"""`kf up`: the whole platform on its embedded default, as child processes of one supervisor."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from kf.embedded.natsserver import NatsServer
from kf.embedded.ports import free_port, port_bindable
from kf.embedded.processes import ServiceProcess, stop_all, wait_ready_moving_lost_ports
from kf.registry import DASHBOARD_PORT, available_services
from kf.runtime.settings import DEV_TOKEN

LOCK_FILE = "kf-up.lock"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl-C, `kill`, the terminal closing
STOPPING = "kf up: stopping..."
SEEDING_STOPPED = STOPPING + " (demo seeding interrupted: the demo data may be incomplete)"


class _Stop(BaseException):
    """Ends the supervisor: a stop was asked for (code 0) or something it needs died (code 1). Not an Exception,
    like KeyboardInterrupt: raised by the signal handler in the middle of seeding, no library may take it for an
    error of its own."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class _StopSignals:
    """The handler of STOP_SIGNALS: it notes the request, for `check` to act on at the supervisor's next safe point;
    within `interrupting`, where no safe point comes for long (seeding the demo data), it also raises _Stop at once."""

    def __init__(self) -> None:
        self.requested = False
        self._interrupt: str | None = None  # the message of the _Stop to raise, while interrupting

    def __call__(self, _sig, _frame) -> None:
        self.requested = True
        message, self._interrupt = self._interrupt, None  # once: a second Ctrl-C must not interrupt the stopping
        if message is not None:
            raise _Stop(message, 0)

    @contextlib.contextmanager
    def interrupting(self, message: str) -> Iterator[None]:
        """A stop asked for within the block raises _Stop(message) where the block is (call `check` first thing in
        the block for one asked for before)."""
        self._interrupt = message
        try:
            yield
        finally:
            self._interrupt = None


def _say(text: str, *, err: bool = False) -> None:
    # After SIGHUP the terminal may be gone: a failed print must not keep the children from being stopped.
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr if err else sys.stdout, flush=True)


def _port(wanted: int) -> int:
    return wanted if port_bindable(wanted) else free_port()


def _lock(data: Path) -> int | None:
    """An exclusive lock on the data directory for this supervisor's lifetime; None when another holds it."""
    path = data / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # not inherited by the children (PEP 446)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _holder(data: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        return f" (pid {int((data / LOCK_FILE).read_text().strip())})"
    return ""


def run_platform(*, demo: bool, data_dir: str, nats_port: int, port_base: int, dashboard: bool,
                 dashboard_port: int = DASHBOARD_PORT, region: str = "ostfold") -> int:
    data = Path(data_dir).resolve()
    logs = data / "logs"
    try:
        logs.mkdir(parents=True, exist_ok=True)
        lock = _lock(data)
    except OSError as exc:
        _say(f"kf: --data-dir {data_dir}: cannot use it as the data directory ({exc.strerror or exc})", err=True)
        return 2
    if lock is None:
        _say(f"kf up: another `kf up`{_holder(data)} is already running on the data directory {data}; "
             "stop it first, or give this one another --data-dir", err=True)
        return 1
    stops = _StopSignals()
    previous = {sig: signal.signal(sig, stops) for sig in STOP_SIGNALS}
    nats: NatsServer | None = None
    children: list[ServiceProcess] = []

    def check() -> None:
        """Raise _Stop when a stop was asked for or nats-server, which everything needs, has exited."""
        if stops.requested:
            raise _Stop(STOPPING, 0)
        if nats is not None and not nats.running:
            code = nats.returncode or 0
            how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"code {code}"
            raise _Stop(f"kf up: nats-server exited ({how}), so the platform stops; see {nats.log_file}", 1)

    try:
        try:
            # nats-server in a session of its own, like the services: Ctrl-C reaches only this supervisor,
            # which stops the services first and nats-server last. Every child that runs for long is sent SIGTERM
            # should this supervisor end without stopping it (SIGKILL): ends_with_starter, which needs it started on
            # this, the main thread (kf/embedded/lifeline.py).
            nats = NatsServer(data / "jetstream", port=_port(nats_port), log_file=logs / "nats.log", own_session=True,
                              ends_with_starter=True)
            nats.start()
        except (OSError, RuntimeError, TimeoutError) as exc:
            _say(f"kf up: cannot start nats-server: {exc}; see {logs / 'nats.log'}", err=True)
            return 1
        base_env = {**os.environ, "KF_ENV": "development", "KF_REGION": region, "KF_NATS_URL": nats.url,
                    "KF_DATA_DIR": str(data), "KF_HTTP_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
        base_env.pop("KF_DATABASE_URL", None)
        for offset, spec in enumerate(available_services()):
            check()
            # Its own session too: Ctrl-C must not interrupt a migration halfway (SQLite DDL is not
            # transactional); a stop asked for meanwhile takes effect once it is done. For the same reason it does
            # not end with this supervisor: it ends by itself once done, and holds the data directory's lock
            # (pass_fds) until then, so that no other `kf up` migrates beside it.
            migrate = subprocess.Popen([sys.executable, "-m", "kf.cli", "migrate", spec.name], env=base_env,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                       start_new_session=True, pass_fds=(lock,))
            _out, err = migrate.communicate()
            if migrate.returncode != 0:
                _say(f"kf up: migrating {spec.name} failed:\n{err[-2000:]}", err=True)
                return 1
            check()
            children.append(ServiceProcess.service(spec.name, base_env, _port(port_base + offset), logs,
                                                   ends_with_starter=True).start())
        problems = wait_ready_moving_lost_ports(children, check=check)
        if problems:
            _say("kf up: " + "\n".join(problems), err=True)
            return 1
        urls = {c.name: c.url for c in children}
        if demo:
            from kf.demo import seed_if_empty
            from kf.demo.client import DemoError

            # Seeding may take minutes and has no safe points: a stop asked for meanwhile interrupts it at once.
            with stops.interrupting(SEEDING_STOPPED):
                check()
                try:
                    outcome, failed = seed_if_empty(urls, DEV_TOKEN, region), False
                except (DemoError, httpx.HTTPError) as exc:  # an HTTPError: a service hangs or went away meanwhile
                    outcome, failed = f"kf up: seeding the demo data failed, the platform runs without it: {exc}", True
            _say(outcome, err=failed)
        check()
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
                ui_env, port, logs / "dashboard.log", health="/_stcore/health", ends_with_starter=True).start())
            problems = wait_ready_moving_lost_ports(children[-1:], check=check)
            if problems:
                _say("kf up: " + "\n".join(problems), err=True)
        _say(f"\nkompetanseforum is running for region {region} (Ctrl-C stops everything; data stays in {data}):")
        _say(f"  {'nats':<11} {nats.url}")
        for child in children:
            _say(f"  {child.name:<11} {child.url}" + ("" if child.name == "dashboard" else f"   (API docs: {child.url}/docs)"))
        _say(f"  development API token: {DEV_TOKEN}")
        _say(f"  logs: {logs}")
        while True:
            check()
            for child in children:
                if not child.running():
                    _say(f"kf up: {child.name} stopped (code {child.proc.returncode}); see {child.log}", err=True)
                    return 1
            time.sleep(0.5)
    except _Stop as stop:
        _say(("\n" if stop.code == 0 else "") + stop.message, err=stop.code != 0)
        return stop.code
    finally:
        stop_all(children)
        if nats is not None:
            nats.stop()
        os.close(lock)  # releases the data directory
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _say("kf up: stopped.")
