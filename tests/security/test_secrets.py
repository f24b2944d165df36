"""Secrets (database password, NATS password, API tokens) never appear in logs, errors or /metrics."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
from sqlalchemy.engine import make_url

from kf.testing.fixtures import TOKENS, tokens_json
from kf.testing.stack import Stack

DB_PASSWORD = "db-pass-7f3a9c1e"
NATS_PASSWORD = "nats-pass-4b2d8e6f"


def test_secrets_stay_out_of_logs_errors_and_metrics(tmp_path, postgres_url):
    # The test server trusts local connections, so a password in the URL is accepted and ignored.
    url = make_url(postgres_url).set(password=DB_PASSWORD).render_as_string(hide_password=False)
    stack = Stack(tmp_path, services=["membership"], database_for=lambda _name: url,
                  env={"KF_API_TOKENS": tokens_json(), "KF_NATS_USER": "membership", "KF_NATS_PASSWORD": NATS_PASSWORD,
                       "KF_LOG_LEVEL": "DEBUG"})
    stack.start()
    try:
        base = stack.url("membership")
        seen = []
        for headers in ({}, {"Authorization": "Bearer " + TOKENS["admin"][:-1] + "X"},
                        {"Authorization": "Bearer " + TOKENS["viewer"]}):
            seen.append(httpx.post(base + "/organisations", json={"name": "x"}, headers=headers).text)
        coordinator = {"Authorization": "Bearer " + TOKENS["coordinator"]}
        seen.append(httpx.post(base + "/organisations", json={"org_number": TOKENS["admin"]}, headers=coordinator).text)
        seen.append(httpx.get(base + "/metrics").text)
        seen.append(httpx.get(base + "/readyz").text)
    finally:
        stack.stop()
    seen.append(stack.services["membership"].log.read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("KF_")}
    env.update({"KF_ENV": "production", "KF_DATABASE_URL": url,
                "KF_API_TOKENS": json.dumps([{"name": "x", "token": "short", "role": "admin", "region": "ostfold"}])})
    refused = subprocess.run([sys.executable, "-m", "kf.cli", "serve", "membership"], env=env, capture_output=True, text=True)
    assert refused.returncode != 0 and "KF_" in refused.stderr
    seen.append(refused.stderr + refused.stdout)
    everything = "\n".join(seen)
    assert "unknown or revoked token" in everything and "the token has viewer" in everything
    # The admin token was also sent as a field value: a validation error must not echo it back.
    for secret in (DB_PASSWORD, NATS_PASSWORD, *TOKENS.values(), TOKENS["admin"][:-1] + "X"):
        assert secret not in everything, f"a secret leaked: {secret[:6]}…"
