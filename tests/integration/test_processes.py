"""The process supervisor behind `kf up`: a child whose port a client connection took still comes up."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from kf.embedded.ports import free_port, port_bindable, port_open
from kf.embedded.processes import ServiceProcess, stop_all, wait_ready_moving_lost_ports


def test_a_child_whose_port_a_client_connection_holds_starts_on_another_port(tmp_path: Path):
    with socket.create_server(("127.0.0.1", 0)) as listener, socket.socket() as client:
        taken = free_port()
        client.bind(("127.0.0.1", taken))  # a client's local end, as a database pool's connections hold them
        client.connect(listener.getsockname())
        assert not port_open(taken), "nothing listens there, so a connect check calls the port free"
        assert not port_bindable(taken)

        web = ServiceProcess("web", [sys.executable, "-m", "http.server", str(taken), "--bind", "127.0.0.1"],
                             {}, taken, tmp_path / "web.log", health="/").start()
        try:
            assert wait_ready_moving_lost_ports([web]) == []
            assert web.port != taken and web.ready()
            assert "address already in use" in (tmp_path / "web.log").read_text().lower()
        finally:
            stop_all([web])
    assert not port_open(web.port)
