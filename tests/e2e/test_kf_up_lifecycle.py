"""`kf up`'s supervisor: how it stops (Ctrl-C during start-up or while seeding the demo data, SIGHUP, nats-server
dying, SIGKILL), one supervisor per data directory, and the region it serves. Without the dashboard, and without
--demo but where seeding is the point, to be quick; every test checks that no process `kf up` started is left
behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kf.embedded.ports import free_port, port_open
from kf.runtime.settings import DEV_TOKEN

pytestmark = pytest.mark.e2e
READY = "development API token"


def _children_by_parent() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        kids.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return kids


def descendants(pid: int) -> set[int]:
    kids, found, todo = _children_by_parent(), set(), [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    except OSError:
        return {}
    return dict(item.split("=", 1) for item in raw.split("\0") if "=" in item)


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class Up:
    """One `kf up` subprocess in a session of its own (as a terminal would run it: Ctrl-C goes to its group),
    remembering every process it started so that the test can check they are gone and clean up if not."""

    def __init__(self, tmp_path: Path, name: str, data_dir: Path, *args: str, env: dict[str, str] | None = None):
        self.log = tmp_path / f"{name}.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("KF_")}
        command = [sys.executable, "-m", "kf.cli", "up", "--no-dashboard", "--data-dir", str(data_dir),
                   "--nats-port", str(free_port()), "--port-base", str(free_port()), *args]
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**clean, **(env or {})},
                                         start_new_session=True)
        self.seen: set[int] = set()
        self.commands: dict[int, str] = {}

    @property
    def output(self) -> str:
        return self.log.read_text()

    def watch(self) -> set[int]:
        if self.proc.poll() is None:
            self.seen |= descendants(self.proc.pid)
        for pid in self.seen:
            # Read again each time: a child first seen between fork and exec still showed the supervisor's command.
            if command := cmdline(pid):
                self.commands[pid] = command
        return self.seen

    def wait_for(self, predicate, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.watch()
            if predicate():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"kf up exited with {self.proc.returncode} before {what}:\n{self.output[-3000:]}")
            time.sleep(0.02)
        raise AssertionError(f"kf up: no {what} within {timeout}s:\n{self.output[-3000:]}")

    def wait_running(self) -> None:
        self.wait_for(lambda: READY in self.output, "start-up")

    def child(self, text: str) -> int | None:
        return next((pid for pid in self.watch() if text in cmdline(pid)), None)

    def wait_exit(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            self.watch()
            if time.monotonic() > deadline:
                raise AssertionError(f"kf up still runs {timeout}s later:\n{self.output[-3000:]}")
            time.sleep(0.05)
        return self.proc.returncode

    def assert_nothing_left(self, timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        while (left := [pid for pid in self.seen if alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not left, "left running: " + "; ".join(f"{pid} {cmdline(pid)}" for pid in left)

    def cleanup(self) -> None:
        """Whatever a failing test left behind: this supervisor and the processes it started, by pid."""
        self.watch()
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in self.seen:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def ups():
    started: list[Up] = []
    yield started
    for up in started:
        up.cleanup()


def urls(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].startswith(("http://", "nats://")):
            found[parts[0]] = parts[1]
    return found


@pytest.mark.parametrize("phase", ["migrate", "serve"])
def test_ctrl_c_during_start_up_stops_everything_at_once(tmp_path, ups, phase):
    """Ctrl-C while a migration runs, or while the services start: a short message, exit 0, nothing left running
    (it used to be ignored for 90 s and end in "not ready", or print a KeyboardInterrupt trace)."""
    up = Up(tmp_path, "up", tmp_path / "var")
    ups.append(up)
    up.wait_for(lambda: up.child(f"kf.cli {phase}") is not None, f"`kf {phase}` child")
    os.killpg(up.proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does: the whole foreground group
    code = up.wait_exit(timeout=15)
    out = up.output
    assert code == 0, out
    assert "kf up: stopping..." in out and "kf up: stopped." in out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out and "not ready" not in out, out
    assert any("nats-server" in command for command in up.commands.values()), up.commands
    up.assert_nothing_left()
    assert "Server Exiting" in (tmp_path / "var" / "logs" / "nats.log").read_text(), "nats-server stopped cleanly"


def test_sighup_stops_every_child(tmp_path, ups):
    """Closing the terminal (SIGHUP) stops the services and nats-server as Ctrl-C does."""
    up = Up(tmp_path, "up", tmp_path / "var")
    ups.append(up)
    up.wait_running()
    children = set(up.watch())
    assert len(children) >= 2, "nats-server and the services"
    up.proc.send_signal(signal.SIGHUP)
    assert up.wait_exit(timeout=30) == 0, up.output
    assert "kf up: stopped." in up.output
    up.assert_nothing_left()


def test_nats_server_exiting_is_reported_and_stops_the_platform(tmp_path, ups):
    up = Up(tmp_path, "up", tmp_path / "var")
    ups.append(up)
    up.wait_running()
    nats = up.child("nats-server")
    assert nats is not None
    os.kill(nats, signal.SIGKILL)
    assert up.wait_exit(timeout=30) == 1, up.output
    assert "kf up: nats-server exited (killed by SIGKILL), so the platform stops; see " in up.output and "nats.log" in up.output
    up.assert_nothing_left()


def test_a_second_kf_up_on_the_same_data_dir_is_refused(tmp_path, ups):
    data = tmp_path / "var"
    first = Up(tmp_path, "first", data, "--region", "vestfold-telemark")
    ups.append(first)
    first.wait_running()
    assert "running for region vestfold-telemark" in first.output
    second = Up(tmp_path, "second", data)
    ups.append(second)
    assert second.wait_exit(timeout=20) == 1, second.output
    assert f"another `kf up` (pid {first.proc.pid}) is already running on the data directory {data.resolve()}" \
        in second.output, second.output
    assert "Traceback" not in second.output
    second.assert_nothing_left()
    membership = urls(first.output)["membership"]
    assert httpx.get(membership + "/readyz").status_code == 200, "the first one keeps running"
    first.proc.send_signal(signal.SIGTERM)
    assert first.wait_exit(timeout=30) == 0
    first.assert_nothing_left()


def test_kf_up_serves_the_region_in_KF_REGION(tmp_path, ups):
    up = Up(tmp_path, "up", tmp_path / "var", env={"KF_REGION": "vestfold-telemark"})
    ups.append(up)
    up.wait_running()
    assert "running for region vestfold-telemark" in up.output
    headers = {"Authorization": f"Bearer {DEV_TOKEN}"}  # the development token is vestfold-telemark's
    found = urls(up.output)
    areas = httpx.get(found["membership"] + "/focus-areas", headers=headers)
    assert areas.status_code == 200, areas.text
    assert {a["id"] for a in areas.json()} == {"green_transition_skills", "vocational_education", "inclusion"}
    indicators = httpx.get(found["measures"] + "/indicators", headers=headers)
    assert indicators.status_code == 200, indicators.text
    assert "green_certifications" in {i["id"] for i in indicators.json()}
    up.proc.send_signal(signal.SIGINT)
    assert up.wait_exit(timeout=30) == 0
    up.assert_nothing_left()


def test_children_end_when_kf_up_is_killed_by_sigkill(tmp_path, ups):
    """`kill -9` of the supervisor: it stops nothing, but the kernel sends each child SIGTERM (its parent-death
    signal), so nats-server and the services end cleanly and free their ports (they used to run on as orphans)."""
    up = Up(tmp_path, "up", tmp_path / "var")
    ups.append(up)
    up.wait_running()
    up.watch()
    ports = {name: int(url.rsplit(":", 1)[1]) for name, url in urls(up.output).items()}
    assert ports.keys() == {"nats", "membership", "events", "measures", "metrics"}, up.output
    commands = " | ".join(up.commands.values())
    assert "nats-server" in commands and commands.count("kf.cli serve") == 4, commands
    up.proc.kill()
    up.proc.wait(timeout=30)
    up.assert_nothing_left(timeout=60)  # the services' graceful shutdown may take a while on a busy machine
    assert not [name for name, port in ports.items() if port_open(port)], "still listening after `kill -9 kf up`"
    assert "Server Exiting" in (tmp_path / "var" / "logs" / "nats.log").read_text(), "nats-server ended on SIGTERM"


def test_ctrl_c_while_seeding_the_demo_stops_at_once(tmp_path, ups):
    """Ctrl-C while `kf up --demo` seeds: it stops within seconds, with a short message and no trace, instead of
    seeding on first. The metrics service, seeded last, is frozen (SIGSTOP) meanwhile so that seeding cannot end
    by itself: a supervisor that waited for it would say nothing for at least the seeding client's 30 s timeout."""
    up = Up(tmp_path, "up", tmp_path / "var", "--demo")
    ups.append(up)
    headers = {"Authorization": f"Bearer {DEV_TOKEN}"}

    def seeding() -> bool:
        membership = up.child("kf.cli serve membership")
        port = environ(membership).get("KF_HTTP_PORT") if membership else None
        if port is None:
            return False
        try:
            found = httpx.get(f"http://127.0.0.1:{port}/organisations", params={"limit": 1}, headers=headers, timeout=2)
        except httpx.HTTPError:
            return False
        return found.status_code == 200 and found.json()["total"] > 0

    up.wait_for(seeding, "demo organisations (seeding)", timeout=120)
    metrics = up.child("kf.cli serve metrics")
    assert metrics is not None
    ports = [int(environ(pid)["KF_HTTP_PORT"]) for pid in up.watch() if "KF_HTTP_PORT" in environ(pid)]
    assert len(ports) == 4
    os.kill(metrics, signal.SIGSTOP)
    try:
        os.killpg(up.proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does: the whole foreground group
        up.wait_for(lambda: "kf up: stopping..." in up.output, "stop after Ctrl-C while seeding", timeout=15)
    finally:
        os.kill(metrics, signal.SIGCONT)  # for it to take the supervisor's SIGTERM
    code = up.wait_exit(timeout=60)
    out = up.output
    assert code == 0, out
    assert "kf up: stopping... (demo seeding interrupted: the demo data may be incomplete)" in out, out
    assert "kf up: stopped." in out and "demo data seeded" not in out, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out and "failed" not in out, out
    up.assert_nothing_left()
    assert not [port for port in ports if port_open(port)], "a service still listens after Ctrl-C"
    # The next start on the same data says the data is incomplete instead of calling it the demo.
    again = Up(tmp_path, "again", tmp_path / "var", "--demo")
    ups.append(again)
    again.wait_running()
    assert "demo data present but without goals" in again.output, again.output
    assert "demo data already present" not in again.output, again.output
    os.killpg(again.proc.pid, signal.SIGINT)
    assert again.wait_exit(timeout=60) == 0, again.output
