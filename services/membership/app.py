"""Wires the membership service together: `create_app(settings)`."""

from __future__ import annotations

from fastapi import FastAPI

from kf.runtime.http import create_service_app
from kf.runtime.service import ServiceRuntime
from services.membership import api
from services.membership.settings import Settings
from services.membership.usecases import MembershipUseCases


def create_app(settings: Settings | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings or Settings())
    app = create_service_app(runtime, [api.router], description=(
        "Organisations, people, groups, memberships and mandates of a regional competence forum. "
        "Events carry ids, sectors and roles only; personal data stays in this service."))
    app.state.usecases = MembershipUseCases(runtime)
    app.state.regions = {runtime.settings.region}
    return app
