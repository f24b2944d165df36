"""Two metrics replicas on one PostgreSQL database share the durable consumers: every event is applied and the KPIs
equal the ground truth (their batches serialise on an advisory lock; an event applied again changes nothing)."""

from __future__ import annotations

import os
import subprocess

from bench.history import realistic
from bench.publish import publish
from kf.embedded.ports import free_port
from kf.runtime.db import normalise_url
from kf.testing.fixtures import migrate, tokens_json
from kf.testing.streams import wait_until
from tests.integration.test_metrics_crash import KF, all_kpis, applied, ground_truth, settled


def test_two_replicas_apply_every_event_and_agree_with_the_ground_truth(nats_server, tmp_path, postgres_url):
    history = realistic(4000, seed=5).events
    truth_url = f"sqlite:///{tmp_path / 'truth.db'}"
    ground_truth(truth_url, history)

    url = normalise_url(postgres_url)
    migrate("metrics", url)
    publish(nats_server.url, history)
    env = {**os.environ, "KF_ENV": "test", "KF_REGION": "ostfold", "KF_NATS_URL": nats_server.url, "KF_DATABASE_URL": url,
           "KF_DATA_DIR": str(tmp_path), "KF_API_TOKENS": tokens_json(), "KF_LOG_LEVEL": "WARNING",
           "KF_CONSUMER_BATCH_SIZE": "100"}
    replicas = [subprocess.Popen([KF, "serve", "metrics"], env={**env, "KF_HTTP_PORT": str(free_port())},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        wait_until(lambda: settled(nats_server.url, url), timeout=180, interval=0.5, what="the history applied")
    finally:
        for proc in replicas:
            proc.terminate()
        for proc in replicas:
            proc.wait(timeout=30)
    assert applied(url) >= len(history), "every event in a committed batch"
    assert all_kpis(url) == all_kpis(truth_url)
