"""Exactly once through a crash: SIGKILL the metrics process in the middle of a large backlog, restart it, and
the KPIs equal the ground truth; `kf replay metrics` then rebuilds the same KPIs from the streams, and a replay
killed before its end leaves nothing wrong once the service runs again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bench.history import AREAS, realistic
from bench.publish import publish
from kf.contracts.subjects import stream_name
from kf.embedded.ports import free_port
from kf.regiondata import load_region
from kf.testing.fixtures import migrate, tokens_json
from kf.testing.streams import all_acknowledged, wait_until
from services.metrics import positions
from services.metrics import store as t
from services.metrics.derive import is_pending
from services.metrics.handlers import apply_envelopes
from services.metrics.queries import kpi_values
from services.metrics.store import metadata

REGION = load_region("ostfold")
KF = str(Path(sys.executable).parent / "kf")
DATES = (date(2019, 6, 30), date(2019, 12, 31), date(2031, 1, 1))


def all_kpis(url: str) -> dict:
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            return {(f, d): kpi_values(s, REGION, f, d) for f in (None, *AREAS) for d in DATES}
    finally:
        engine.dispose()


def ground_truth(url: str, envelopes: list) -> None:
    """Apply the envelopes once each, in order, to a database at `url` (created when new): the KPIs to expect."""
    engine = create_engine(url)
    metadata.create_all(engine)
    with Session(engine) as s:
        apply_envelopes(s, envelopes, ["ostfold"])
        s.commit()
    engine.dispose()


def applied(url: str) -> int:
    """Events in the batches the metrics consumers committed (positions.py)."""
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            return positions.events_applied(s)
    finally:
        engine.dispose()


def stream_positions(url: str) -> dict[str, int]:
    """The highest stream sequence each metrics consumer has applied (positions.py)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(t.positions.c.source, t.positions.c.stream_seq)).all())
    finally:
        engine.dispose()


DURABLES = {stream_name(source): f"metrics-{source}" for source in ("membership", "events", "measures")}


def settled(nats_url: str, url: str) -> bool:
    """Every message of the three streams acknowledged by the metrics consumers (so committed: they acknowledge
    after the commit), and the derived tables derived."""
    return all_acknowledged(nats_url, DURABLES) and not derive_pending(url)


def derive_pending(url: str) -> bool:
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            return is_pending(s)
    finally:
        engine.dispose()


def test_sigkill_mid_batch_then_restart_and_replay_give_the_ground_truth(nats_server, tmp_path):
    history = realistic(6000, seed=11).events
    truth_url = f"sqlite:///{tmp_path / 'truth.db'}"
    ground_truth(truth_url, history)
    truth = all_kpis(truth_url)

    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    migrate("metrics", url)
    publish(nats_server.url, history)
    env = {**os.environ, "KF_ENV": "test", "KF_REGION": "ostfold", "KF_NATS_URL": nats_server.url, "KF_DATABASE_URL": url,
           "KF_DATA_DIR": str(tmp_path), "KF_HTTP_PORT": str(free_port()), "KF_API_TOKENS": tokens_json(),
           "KF_LOG_LEVEL": "WARNING", "KF_CONSUMER_BATCH_SIZE": "500",
           "KF_CATCH_UP_BACKLOG": "1000",  # the backlog is caught up facts first, and the kill lands in that
           "KF_ACK_WAIT_SECONDS": "2"}  # the batch in flight at the kill comes back after 2 s instead of 60 s

    def serve() -> subprocess.Popen:
        return subprocess.Popen([KF, "serve", "metrics"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    proc = serve()
    try:
        wait_until(lambda: applied(url) >= 1000 and derive_pending(url), timeout=60, interval=0.02,
                   what="part of the backlog applied, catching up")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        at_kill = applied(url)
        assert 0 < at_kill < len(history), "the process was killed in the middle of the backlog"
        assert derive_pending(url), "killed while catching up: facts written, derived tables not yet"

        proc = serve()
        wait_until(lambda: settled(nats_server.url, url), timeout=90, interval=0.2,
                   what="every event applied after the restart")
        assert all_kpis(url) == truth
        # Each stream holds only its service's events, numbered from 1: each consumer stands at its stream's last one.
        assert stream_positions(url) == dict(Counter(e.source.split("/")[2] for e in history))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    result = subprocess.run([KF, "replay", "metrics"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"{len(history)} events applied" in result.stdout
    assert all_kpis(url) == truth

    # A replay killed before its end leaves facts without their derived tables; the service derives them first.
    replay = subprocess.Popen([KF, "replay", "metrics"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: derive_pending(url) and applied(url) >= 1000, timeout=60, interval=0.02,
               what="part of the replay applied")
    replay.send_signal(signal.SIGKILL)
    replay.wait()
    assert derive_pending(url), "the replay was killed before deriving"
    proc = serve()
    try:
        wait_until(lambda: settled(nats_server.url, url), timeout=90, interval=0.2, what="the rest applied by the service")
        assert all_kpis(url) == truth
        assert not derive_pending(url)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
