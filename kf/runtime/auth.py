"""Bearer-token authentication with roles (viewer < coordinator < admin) scoped to one region."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kf.runtime.settings import ApiToken, Role

_RANK = {Role.viewer: 1, Role.coordinator: 2, Role.admin: 3}
bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer <token>`")


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    region: str

    def can(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]


class TokenRegistry:
    """Looks tokens up by their SHA-256 digest, so plain tokens are not kept in memory as keys."""

    def __init__(self, tokens: list[ApiToken]) -> None:
        self._by_digest = {_digest(t.token.get_secret_value()): Principal(t.name, t.role, t.region) for t in tokens}

    def lookup(self, token: str) -> Principal | None:
        wanted = _digest(token)
        for digest, principal in self._by_digest.items():
            if hmac.compare_digest(digest, wanted):
                return principal
        return None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require(role: Role):
    """A FastAPI dependency: a valid token of at least `role`; the region query must be the token's."""

    # async: a dict lookup and no I/O, so FastAPI runs it on the event loop instead of a worker thread
    async def dependency(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
        if creds is None or not creds.credentials:
            raise HTTPException(401, "missing bearer token (Authorization: Bearer <token>)", headers={"WWW-Authenticate": "Bearer"})
        registry: TokenRegistry = request.app.state.tokens
        principal = registry.lookup(creds.credentials)
        if principal is None:
            raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
        if not principal.can(role):
            raise HTTPException(403, f"this needs the {role.value} role; the token has {principal.role.value}")
        asked = request.query_params.get("region")
        if asked is not None and asked != principal.region:
            raise HTTPException(403, f"the token is for region {principal.region!r}, not {asked!r}")
        served = getattr(request.app.state, "regions", None)
        if served is not None and principal.region not in served:
            raise HTTPException(403, f"this service does not serve region {principal.region!r}")
        return principal

    dependency.required_role = role  # read by the security tests and the docs
    return dependency


def require_scrape_token(request: Request, creds: HTTPAuthorizationCredentials | None) -> None:
    """`GET /metrics` with KF_METRICS_TOKEN set: that token, and no API token, lets a scraper in (the metrics
    service's gauges hold every served region's KPI values, which `/kpis` shows only to the region's own tokens)."""
    wanted = request.app.state.runtime.settings.metrics_token
    if wanted is None:
        return
    if creds is None or not creds.credentials:
        raise HTTPException(401, "missing bearer token: /metrics needs the scrape token (KF_METRICS_TOKEN)",
                            headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(_digest(creds.credentials), _digest(wanted.get_secret_value())):
        raise HTTPException(401, "not the scrape token (KF_METRICS_TOKEN)", headers={"WWW-Authenticate": "Bearer"})


viewer = require(Role.viewer)
coordinator = require(Role.coordinator)
admin = require(Role.admin)
