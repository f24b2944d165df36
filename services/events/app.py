"""Wires the events service together: `create_app(settings)`."""

from __future__ import annotations

from fastapi import FastAPI

from kf.runtime.http import create_service_app
from kf.runtime.service import ServiceRuntime
from services.events import api
from services.events.handlers import directory_handlers
from services.events.settings import Settings
from services.events.usecases import EventsUseCases


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings or Settings())
    # The read model of people and groups, from this region's membership events only.
    runtime.add_consumer("directory", "membership", directory_handlers(), region=runtime.settings.region)
    app = create_service_app(runtime, [api.router], description=(
        "Gatherings (felles-samlinger, workshops, webinars, company visits, group meetings), attendance, workshop "
        "input, communications with their audiences, and each person's targeted feed. Events carry person ids; "
        "external speakers' names stay in this service."))
    app.state.usecases = EventsUseCases(runtime)
    app.state.regions = {runtime.settings.region}
    return app
