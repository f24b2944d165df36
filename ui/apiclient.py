"""HTTP calls to the services: short-lived cached reads, writes that report field errors, and no stack traces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import streamlit as st


class ServiceUnavailable(Exception):
    """The service did not answer (refused, timed out, or answered 5xx)."""

    def __init__(self, service: str, url: str, reason: str) -> None:
        super().__init__(f"{service} at {url}: {reason}")
        self.service = service
        self.url = url
        self.reason = reason


@dataclass
class ApiError(Exception):
    """The service refused the request (4xx); `errors` maps a field name to what was wrong with it."""

    service: str
    status: int
    code: str
    message: str
    errors: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.service} answered {self.status}: {self.message}"

    def field_errors(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for err in self.errors:
            name = str(err.get("field") or "")
            if name:
                out[name] = f"{out[name]}; {err.get('message')}" if name in out else str(err.get("message", ""))
        return out


@dataclass(frozen=True)
class Endpoint:
    """Where one service answers and how to authenticate to it."""

    service: str
    base_url: str
    token: str | None
    timeout: float = 5.0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def _error_from(service: str, response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    message = str(body.get("message") or body.get("detail") or response.reason_phrase or "request refused")
    errors = body.get("errors") if isinstance(body.get("errors"), list) else []
    return ApiError(service, response.status_code, str(body.get("error", "error")), message, errors)


def _request(endpoint: Endpoint, method: str, path: str, *, params: dict | None = None, body: Any = None) -> Any:
    url = endpoint.base_url + path
    try:
        response = httpx.request(method, url, params=params, json=body, headers=endpoint.headers(),
                                 timeout=endpoint.timeout)
    except httpx.TimeoutException:
        raise ServiceUnavailable(endpoint.service, endpoint.base_url, "timed out") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ServiceUnavailable(endpoint.service, endpoint.base_url, type(exc).__name__) from None
    if response.status_code >= 500:
        raise ServiceUnavailable(endpoint.service, endpoint.base_url, f"HTTP {response.status_code}")
    if response.status_code >= 400:
        raise _error_from(endpoint.service, response)
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ServiceUnavailable(endpoint.service, endpoint.base_url, "the answer is not JSON") from None


def _clean(params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in params.items() if v is not None and v != ""))


@st.cache_data(ttl=20, show_spinner=False, max_entries=2000)
def _cached_get(service: str, base_url: str, token: str | None, timeout: float, path: str,
                params: tuple[tuple[str, str], ...]) -> Any:
    # Exceptions are not cached, so an unreachable service is asked again on the next run.
    return _request(Endpoint(service, base_url, token, timeout), "GET", path, params=dict(params))


def get(endpoint: Endpoint, path: str, **params: Any) -> Any:
    """A cached GET (short TTL): switching pages reuses the answers of the last few seconds."""
    return _cached_get(endpoint.service, endpoint.base_url, endpoint.token, endpoint.timeout, path, _clean(params))


def send(endpoint: Endpoint, method: str, path: str, body: Any = None, **params: Any) -> Any:
    """A write (POST, PUT, PATCH, DELETE); on success cached reads are dropped so the change shows at once."""
    result = _request(endpoint, method, path, params=dict(_clean(params)), body=body)
    _cached_get.clear()
    return result


def clear_cache() -> None:
    _cached_get.clear()


def items(answer: Any) -> list[dict]:
    """The list inside an answer: a plain list, or a page `{items: [...]}`."""
    if isinstance(answer, dict):
        return list(answer.get("items") or [])
    return list(answer or [])
