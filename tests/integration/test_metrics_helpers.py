"""Helper processes catching up beside the metrics service (KF_CATCH_UP_PROCESSES): they take part of a large
backlog, end by themselves once the derived tables are derived or when the service is killed, and the KPIs equal
the ground truth; `kf replay metrics` uses them too."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path


from bench.history import realistic
from bench.publish import publish
from kf.embedded.ports import free_port
from kf.testing.fixtures import migrate, tokens_json
from kf.testing.streams import wait_until
from tests.integration.test_metrics_crash import KF, all_kpis, applied, derive_pending, ground_truth, settled


def helpers_of(parent: int) -> list[int]:
    """Pids of the metrics helper processes started by `parent` (their command line names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"services.metrics.helpers" in args and str(parent).encode() in args:
                found.append(int(entry.name))
    return found


def logged(path: Path, message: str) -> list[dict]:
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("message") == message]


def test_helpers_take_part_of_the_backlog_end_by_themselves_and_the_kpis_are_the_ground_truth(nats_server, tmp_path):
    full = realistic(32_000, seed=5).events
    history, more = full[:20_000], full[20_000:]  # the rest comes as a second backlog at the end
    truth_url = f"sqlite:///{tmp_path / 'truth.db'}"
    ground_truth(truth_url, history)
    truth = all_kpis(truth_url)

    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    migrate("metrics", url)
    publish(nats_server.url, history)
    env = {**os.environ, "KF_ENV": "test", "KF_REGION": "ostfold", "KF_NATS_URL": nats_server.url, "KF_DATABASE_URL": url,
           "KF_DATA_DIR": str(tmp_path), "KF_HTTP_PORT": str(free_port()), "KF_API_TOKENS": tokens_json(),
           "KF_LOG_LEVEL": "INFO", "KF_CONSUMER_BATCH_SIZE": "250", "KF_CATCH_UP_BACKLOG": "1000",
           "KF_CATCH_UP_PROCESSES": "2", "KF_ACK_WAIT_SECONDS": "2"}

    def serve(log: Path) -> subprocess.Popen:
        with log.open("w") as out:
            return subprocess.Popen([KF, "serve", "metrics"], env=env, stdout=out, stderr=subprocess.STDOUT)

    # Killed while catching up with its helper: the helper notices that its service is gone and ends.
    proc = serve(tmp_path / "first.log")
    try:
        wait_until(lambda: helpers_of(proc.pid) and applied(url) >= 2000 and derive_pending(url), timeout=60,
                   interval=0.02, what="a helper running while the service catches up")
        helper = helpers_of(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert derive_pending(url) and applied(url) < len(history), "killed in the middle of catching up"
        wait_until(lambda: not any(Path(f"/proc/{pid}").exists() and b"services.metrics.helpers"
                                   in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in helper),
                   timeout=15, what="the helper ended after its service was killed")
    finally:
        proc.kill()
        proc.wait()
    ended = logged(tmp_path / "first.log", "helper process ended")
    assert ended and ended[0]["reason"] == "service process gone"

    # Started again, the service finishes the backlog; the KPIs are those of applying each event once.
    proc = serve(tmp_path / "second.log")
    try:
        wait_until(lambda: settled(nats_server.url, url), timeout=120, interval=0.2,
                   what="every event applied and the derived tables derived")
        assert all_kpis(url) == truth
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert not helpers_of(proc.pid)

    # A replay with a helper: the helper applies part of the stream, and the KPIs are the same again. The replay
    # recreates the durables with a 300 s ack wait: messages the helper received but did not apply when it ended
    # must go back at once, or the replay would wait for them past the timeout.
    result = subprocess.run([KF, "replay", "metrics"], env={**env, "KF_ACK_WAIT_SECONDS": "300"}, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"{len(history)} events applied" in result.stdout
    (tmp_path / "replay.log").write_text(result.stderr)
    ended = logged(tmp_path / "replay.log", "helper process ended")
    assert len(ended) == 1 and ended[0]["events_applied"] > 0, ended
    assert all_kpis(url) == truth

    # A second backlog, caught up by the service with a helper, on durables with that 300 s ack wait: a helper's
    # last batch, waiting for the writers' lock while the service derives, must end written or handed back (it was
    # once cancelled, and its messages came back only after the ack wait).
    publish(nats_server.url, more)
    ground_truth(truth_url, more)
    proc = serve(tmp_path / "third.log")
    try:
        wait_until(lambda: settled(nats_server.url, url), timeout=120, interval=0.2,
                   what="the second backlog applied and derived, well within the ack wait")
        assert all_kpis(url) == all_kpis(truth_url)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert logged(tmp_path / "third.log", "helper process ended"), "the second backlog was caught up with a helper"
