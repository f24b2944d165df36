"""Wires the measures service together: `create_app(settings)`."""

from __future__ import annotations

from fastapi import FastAPI

from kf.contracts.events import WorkshopInputRecorded
from kf.runtime.http import create_service_app
from kf.runtime.service import ServiceRuntime
from services.measures import api
from services.measures.handlers import workshop_input_handler
from services.measures.settings import Settings
from services.measures.usecases import MeasureUseCases


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings or Settings())
    usecases = MeasureUseCases(runtime)
    runtime.add_consumer("workshop-input", "events", {WorkshopInputRecorded: workshop_input_handler(usecases)},
                         region=runtime.settings.region)
    app = create_service_app(runtime, [api.router], description=(
        "Measures (tiltak) of a regional competence forum from proposal to reported effect: an explicit lifecycle "
        "(see docs/measures.md), workshop input, expected effects, effect reports with corrections, followers "
        "and their notifications."))
    app.state.usecases = usecases
    app.state.regions = {runtime.settings.region}
    return app
