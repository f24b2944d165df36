"""The HTTP app factory every service uses: lifespan, health, readiness, metrics, docs, errors."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kf.runtime.auth import bearer, require_scrape_token
from kf.runtime.errors import ERROR_RESPONSES, install_error_handlers
from kf.runtime.guards import BodyGuard
from kf.runtime.outbox import pending_count
from kf.runtime.service import ServiceRuntime

VERSION = "0.1.0"


def create_service_app(runtime: ServiceRuntime, routers: list[APIRouter], *, description: str) -> FastAPI:
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await runtime.start(relay=settings.relay_in_process)
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=f"kompetanseforum {runtime.service}", version=VERSION, description=description, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.tokens = runtime.tokens
    install_error_handlers(app)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics, runtime=runtime)

    ops = APIRouter(tags=["operations"])

    @ops.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict:
        return {"status": "ok", "service": runtime.service}

    @ops.get("/readyz", summary="Readiness: the database is reachable (NATS is reported, not required)")
    async def readyz() -> JSONResponse:
        # Without NATS a service still serves: writes wait in its outbox, reads answer from its database. Were NATS
        # required, a NATS outage would take every replica out of its Kubernetes Service and refuse the writes the
        # outbox exists to keep.
        checks = {"database": await _database_ok(runtime), "nats": runtime.nats_connected()}
        ready = checks["database"]
        return JSONResponse({"ready": ready, "service": runtime.service, "checks": checks}, status_code=200 if ready else 503)

    @ops.get("/metrics", summary="Prometheus metrics (with KF_METRICS_TOKEN set, only for that bearer token)",
             response_class=Response)
    async def metrics(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Response:
        require_scrape_token(request, creds)
        try:
            runtime.metrics.outbox_backlog.set(await asyncio.to_thread(pending_count, runtime.db))
        except Exception:  # noqa: BLE001 - the backlog gauge keeps its last value when the database is down
            pass
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @ops.get("/asyncapi.json", summary="AsyncAPI 3 document of the events this service publishes")
    async def asyncapi() -> Response:
        spec = AsyncAPI(runtime.broker, title=f"kompetanseforum {runtime.service} events", version=VERSION,
                        description=f"Events published by the {runtime.service} service, region {settings.region}.")
        return Response(spec.to_specification().to_json(), media_type="application/json")

    app.include_router(ops)
    for router in routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    return app


class RequestMetrics:
    """Counts requests and observes their latency per method, route template and status: plain ASGI (Starlette's
    `BaseHTTPMiddleware` adds a task and a stream per request)."""

    def __init__(self, app: ASGIApp, runtime: ServiceRuntime) -> None:
        self.app = app
        self.metrics = runtime.metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes before a response started

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], template, str(status)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(time.perf_counter() - started)


async def _database_ok(runtime: ServiceRuntime) -> bool:
    try:
        await asyncio.wait_for(asyncio.to_thread(runtime.db.ping), timeout=2)
        return True
    except Exception:  # noqa: BLE001 - any failure means not ready
        return False
