"""An unreachable KF_NATS_URL is reported: `kf serve` logs a warning naming KF_NATS_URL (without its credentials) on each
retry and connects once NATS is there; `kf replay metrics` stops with a message and a non-zero exit code instead of a
bare TimeoutError. The first connect used to retry forever inside nats-py, silently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from kf.embedded.natsserver import NatsServer
from kf.embedded.ports import free_port
from kf.embedded.processes import end_processes
from kf.testing.fixtures import migrate, tokens_json

KF = str(Path(sys.executable).parent / "kf")
PASSWORD = "natspw-hunter2"


def kf_env(tmp_path: Path, nats_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KF_")}
    env.update({"KF_ENV": "test", "KF_REGION": "ostfold", "KF_DATA_DIR": str(tmp_path), "KF_NATS_URL": nats_url,
                "KF_API_TOKENS": tokens_json(), "KF_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"})
    return env


def warnings_about_nats(log: Path) -> list[dict]:
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("{")]
    return [entry for entry in lines if entry.get("level") == "warning" and "KF_NATS_URL" in entry.get("message", "")]


def test_serve_warns_naming_kf_nats_url_on_each_retry_and_connects_when_nats_comes(tmp_path):
    port, http_port = free_port(), free_port()
    migrate("membership", f"sqlite:///{tmp_path / 'membership.db'}")
    env = kf_env(tmp_path, f"nats://kf:{PASSWORD}@127.0.0.1:{port}") | {"KF_HTTP_PORT": str(http_port)}
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([KF, "serve", "membership"], env=env, stdout=out, stderr=subprocess.STDOUT)
    server = None
    try:
        deadline = time.monotonic() + 40
        while len(warnings_about_nats(log)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
        warnings = warnings_about_nats(log)
        assert len(warnings) >= 2, log.read_text(encoding="utf-8")[-2000:]
        for entry in warnings:
            assert f"nats://127.0.0.1:{port} (KF_NATS_URL)" in entry["message"]
            assert entry["nats_url"] == f"nats://127.0.0.1:{port}"
        assert PASSWORD not in log.read_text(encoding="utf-8")

        # the retries go on after the first attempts were given up: NATS started now is connected to
        server = NatsServer(tmp_path / "jetstream", port=port).start()
        deadline = time.monotonic() + 40
        nats = False
        while not nats and time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                nats = httpx.get(f"http://127.0.0.1:{http_port}/readyz", timeout=2).json()["checks"]["nats"]
            except httpx.HTTPError:
                pass
        assert nats, log.read_text(encoding="utf-8")[-2000:]
    finally:
        end_processes([proc], timeout=30)
        if server:
            server.stop()
    assert "Traceback" not in log.read_text(encoding="utf-8")


def test_replay_without_nats_stops_with_a_message(tmp_path):
    port = free_port()  # nothing listens there
    migrate("metrics", f"sqlite:///{tmp_path / 'metrics.db'}")
    env = kf_env(tmp_path, f"nats://kf:{PASSWORD}@127.0.0.1:{port}")
    result = subprocess.run([KF, "replay", "metrics"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"kf: cannot reach NATS at nats://127.0.0.1:{port} (KF_NATS_URL) within 30s"), result.stderr
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr + result.stdout
    assert warnings_about_nats_text(result.stderr), "the retries were logged too"


def warnings_about_nats_text(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("{") and "KF_NATS_URL" in line]
