"""Dashboard settings from `KF_UI_` environment variables: where the services answer and how to call them."""

from __future__ import annotations

from typing import Annotated

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
    token: SecretStr | None = Field(None, description="Bearer token for the APIs; when empty the dashboard asks for one")
    regions: Annotated[list[str], NoDecode] = Field(["ostfold"], description="Regions to choose from, comma-separated")
    timeout_seconds: float = Field(5.0, gt=0, le=60, description="HTTP timeout per API call")

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


def load_settings() -> UiSettings:
    """Read the settings from the environment now (never at import time)."""
    return UiSettings()
