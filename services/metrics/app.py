"""Wires the metrics service together: `create_app(settings)`."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from kf.runtime.http import create_service_app
from kf.runtime.service import ServiceRuntime
from kf.runtime.settings import Environment
from services.metrics import api
from services.metrics.consumers import add_consumers
from services.metrics.gauges import KpiCollector
from services.metrics.helpers import HelperProcesses
from services.metrics.settings import Settings
from services.metrics.usecases import MetricsUseCases

log = logging.getLogger("kf.metrics")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    regions = settings.served_regions()
    usecases = MetricsUseCases(runtime, regions)
    helpers = HelperProcesses(settings)
    runtime.on_stop.append(helpers.stop)
    add_consumers(runtime, regions, on_commit=usecases.cache.invalidate, helpers=helpers)
    runtime.metrics.registry.register(KpiCollector(usecases))
    if settings.env == Environment.production and settings.metrics_token is None:
        log.warning("GET /metrics is open, and its kf_kpi_value gauges show every served region's KPIs to anyone who "
                    "reaches the port: set KF_METRICS_TOKEN and scrape with it, or let only the scraper reach the "
                    "port (docs/operations.md)")
    app = create_service_app(runtime, [api.router], description=(
        "KPIs of a regional competence forum computed from every domain event, the steering group's goals "
        "with their status, and the network of organisations. Projections are rebuilt with `kf replay metrics`."))
    app.state.usecases = usecases
    app.state.regions = set(regions)
    return app
