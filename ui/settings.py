"""Dashboard settings from `KF_UI_` environment variables: where the services answer and how to call them."""

from __future__ import annotations

from typing import Annotated

import httpx
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SERVICES = ("membership", "events", "measures", "metrics")


class UiSettings(BaseSettings):
    """Each field is read from `KF_UI_<NAME>`; `kf up` sets them for the dashboard it starts."""

    model_config = SettingsConfigDict(env_prefix="KF_UI_", extra="ignore")

    membership_url: str = Field("http://127.0.0.1:8101", description="Base URL of the membership service")
    events_url: str = Field("http://127.0.0.1:8102", description="Base URL of the events service")
    measures_url: str = Field("http://127.0.0.1:8103", description="Base URL of the measures service")
    metrics_url: str = Field("http://127.0.0.1:8104", description="Base URL of the metrics service")
    token: SecretStr | None = Field(None, description="Bearer token for the APIs; when unset or empty the dashboard asks for one")
    regions: Annotated[list[str], NoDecode] = Field(["ostfold"], description="Regions to choose from, comma-separated")
    timeout_seconds: float = Field(5.0, gt=0, le=60, description="HTTP timeout per API call")

    @field_validator("membership_url", "events_url", "measures_url", "metrics_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not is_http_url(value):
            raise ValueError(f"must be an http:// or https:// URL such as http://127.0.0.1:8104, not {value!r}")
        return value.strip()

    @field_validator("token", mode="before")
    @classmethod
    def _clean_token(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            cleaned = clean_token(value)  # an empty value (an empty secret) counts as unset
            if cleaned is None and value.strip():
                raise ValueError("may only hold printable ASCII characters (letters, digits, - . _ ~ + / =)")
            return cleaned
        return value

    @field_validator("regions", mode="before")
    @classmethod
    def _split_regions(cls, value: object) -> object:
        if isinstance(value, str):
            return [r.strip() for r in value.split(",") if r.strip()]
        return value

    @field_validator("regions")
    @classmethod
    def _at_least_one(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("KF_UI_REGIONS must name at least one region")
        return value

    def url(self, service: str) -> str:
        return getattr(self, f"{service}_url").rstrip("/")

    def urls(self) -> dict[str, str]:
        return {service: self.url(service) for service in SERVICES}


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host, without spaces: what httpx can send a request to."""
    text = value.strip()
    if not text or any(c.isspace() for c in text):
        return False
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        return False
    return url.scheme in ("http", "https") and bool(url.host)


def clean_token(value: str | None) -> str | None:
    """A token as it can be sent: surrounding spaces dropped, None when empty or when it holds characters an HTTP
    header cannot carry (anything but printable ASCII); tell the two apart with `value.strip()`."""
    text = (value or "").strip()
    if not text or not all(" " <= c <= "~" for c in text):
        return None
    return text


def load_settings() -> UiSettings:
    """Read the settings from the environment now (never at import time)."""
    return UiSettings()
