"""Wires the metrics service together: `create_app(settings)`."""

from __future__ import annotations

from fastapi import FastAPI

from kf.runtime.http import create_service_app
from kf.runtime.service import ServiceRuntime
from services.metrics import api
from services.metrics.consumers import add_consumers
from services.metrics.gauges import KpiCollector
from services.metrics.helpers import HelperProcesses
from services.metrics.settings import Settings
from services.metrics.usecases import MetricsUseCases


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    regions = settings.served_regions()
    usecases = MetricsUseCases(runtime, regions)
    helpers = HelperProcesses(settings)
    runtime.on_stop.append(helpers.stop)
    add_consumers(runtime, regions, on_commit=usecases.cache.invalidate, helpers=helpers)
    runtime.metrics.registry.register(KpiCollector(usecases))
    app = create_service_app(runtime, [api.router], description=(
        "KPIs of a regional competence forum computed from every domain event, the steering group's goals "
        "with their status, and the network of organisations. Projections are rebuilt with `kf replay metrics`."))
    app.state.usecases = usecases
    app.state.regions = set(regions)
    return app
