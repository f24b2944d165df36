"""A small HTTP client for seeding demo data through the services' public APIs."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx


class DemoError(RuntimeError):
    pass


class DemoClient:
    def __init__(self, urls: dict[str, str], token: str) -> None:
        self.urls = urls
        self.http = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30)

    def _check(self, response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise DemoError(f"{response.request.method} {response.request.url} -> {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def get(self, service: str, path: str, **params: Any) -> Any:
        return self._check(self.http.get(self.urls[service] + path, params=params))

    def post(self, service: str, path: str, body: dict | None = None) -> Any:
        return self._check(self.http.post(self.urls[service] + path, json=body))

    def put(self, service: str, path: str, body: dict) -> Any:
        return self._check(self.http.put(self.urls[service] + path, json=body))

    def wait_for(self, predicate, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.25)
        raise DemoError(f"demo: {what} not reached within {timeout:.0f}s")


@dataclass
class DemoContext:
    """What earlier seeding steps made, for later steps to refer to."""

    region: str
    organisations: dict[str, dict] = field(default_factory=dict)  # key -> organisation
    people: dict[str, dict] = field(default_factory=dict)  # email -> person
    groups: dict[str, dict] = field(default_factory=dict)  # key -> group
    memberships: list[dict] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
