"""Every endpoint of every service × every role: allowed or refused exactly as declared.

The policy: reads need `viewer`, writes need `coordinator` or `admin` (never less), operations
endpoints are open, and a token of another region is refused everywhere, as is a `?region=` that
is not the token's own.
"""

from __future__ import annotations

import pytest

from kf.registry import available_services
from kf.runtime.settings import Role
from kf.testing.fixtures import auth

OPEN = {"/healthz", "/readyz", "/metrics", "/asyncapi.json", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
RANK = {None: 0, Role.viewer: 1, Role.coordinator: 2, Role.admin: 3}
TOKENS = {"none": None, "viewer": Role.viewer, "coordinator": Role.coordinator, "admin": Role.admin}
DUMMY_ID = "00000000-0000-0000-0000-000000000000"


def declared_role(route) -> Role | None:
    for dep in route.dependant.dependencies:
        role = getattr(dep.call, "required_role", None)
        if role is not None:
            return role
    return None


def _flatten(routes):
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI >= 0.16x keeps included routers nested
        if inner is not None:
            yield from _flatten(inner.routes)
        else:
            yield route


def api_routes(app):
    for route in _flatten(app.routes):
        methods = getattr(route, "methods", None)
        if not methods or route.path in OPEN:
            continue
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            yield method, route


def _call(client, method: str, template: str, headers: dict, params: dict | None = None):
    path = "/".join(DUMMY_ID if part.startswith("{") else part for part in template.split("/"))
    return client.request(method, path, headers=headers, params=params, json={} if method != "GET" else None)


@pytest.mark.parametrize("service", [s.name for s in available_services()])
def test_every_endpoint_enforces_its_declared_role(service, service_app, nats_server):
    client = service_app(service, nats_url=nats_server.url)
    routes = list(api_routes(client.app))
    assert routes, f"{service} has no API routes"
    checked = 0
    for method, route in routes:
        role = declared_role(route)
        assert role is not None, f"{method} {route.path} has no auth dependency"
        if method == "GET":
            assert role == Role.viewer, f"{method} {route.path}: reads need exactly viewer"
        else:
            assert RANK[role] >= RANK[Role.coordinator], f"{method} {route.path}: writes need coordinator or admin"
        for token, token_role in TOKENS.items():
            headers = auth(token) if token_role else {}
            status = _call(client, method, route.path, headers).status_code
            if token_role is None:
                assert status == 401, f"{method} {route.path} without a token gave {status}"
            elif RANK[token_role] < RANK[role]:
                assert status == 403, f"{method} {route.path} as {token} gave {status}"
            else:
                assert status not in (401, 403), f"{method} {route.path} as {token} was refused ({status})"
            checked += 1
        other = _call(client, method, route.path, auth("other_region")).status_code
        assert other == 403, f"{method} {route.path} with another region's token gave {other}"
        foreign = _call(client, method, route.path, auth("admin"), params={"region": "vestfold-telemark"}).status_code
        assert foreign == 403, f"{method} {route.path}?region=vestfold-telemark gave {foreign}"
    assert checked == 4 * len(routes)
