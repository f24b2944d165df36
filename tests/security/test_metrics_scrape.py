"""`GET /metrics` carries the metrics service's KPI gauges of every served region: with KF_METRICS_TOKEN set, only
that bearer token reads it (an API token of any role does not); without it, it stays open for annotation-based
scraping, as documented."""

from __future__ import annotations

from kf.testing.fixtures import TOKENS

SCRAPE = "scrape-token-9d41c7a2e8"


def test_metrics_needs_the_scrape_token_when_one_is_set(service_app):
    client = service_app("metrics", metrics_token=SCRAPE)
    for headers in ({}, {"Authorization": f"Bearer {TOKENS['admin']}"}, {"Authorization": f"Bearer {SCRAPE}x"}):
        refused = client.get("/metrics", headers=headers)
        assert refused.status_code == 401, (headers, refused.text)
        assert "KF_METRICS_TOKEN" in refused.text and "kf_kpi_value" not in refused.text
        assert SCRAPE not in refused.text
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE}"})
    assert scraped.status_code == 200 and "kf_kpi_value" in scraped.text
    assert client.get("/healthz").status_code == 200  # the probes stay open


def test_metrics_is_open_without_a_scrape_token(service_app):
    client = service_app("metrics")
    assert client.get("/metrics").status_code == 200
