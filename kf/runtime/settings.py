"""Service settings from `KF_` environment variables; one class per service derives from these."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kf.contracts.subjects import check_token

DEV_TOKEN = "kf-dev-token-not-for-production"  # noqa: S105 - the documented development token, refused outside development


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Role(StrEnum):
    viewer = "viewer"
    coordinator = "coordinator"
    admin = "admin"


class ApiToken(BaseModel):
    """One bearer token: who it is for, its role and the region it may read and change."""

    name: str
    token: SecretStr = Field(min_length=16)
    role: Role
    region: str


class ServiceSettings(BaseSettings):
    """Settings every service shares. Each field is read from `KF_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="KF_", extra="ignore", validate_default=True)

    service: ClassVar[str] = ""
    default_port: ClassVar[int] = 8100

    env: Environment = Field(Environment.production, description="development, test or production; only development accepts the development token")
    region: str = Field("ostfold", description="The region this instance serves (a subject token, e.g. `ostfold`)")
    region_file: str | None = Field(None, description="Path to this region's data (focus areas, indicators) as JSON; the shipped data when empty")
    nats_url: str = Field("nats://127.0.0.1:4222", description="NATS server URL(s), comma-separated for a cluster")
    nats_user: str | None = Field(None, description="NATS user name (with KF_NATS_PASSWORD)")
    nats_password: SecretStr | None = Field(None, description="NATS password")
    nats_creds_file: str | None = Field(None, description="Path to a NATS credentials (.creds) file")
    database_url: SecretStr | None = Field(None, description="SQLAlchemy URL of this service's own database; default `sqlite:///var/SERVICE.db`")
    data_dir: str = Field("var", description="Directory for SQLite files and other local state")
    http_host: str = Field("127.0.0.1", description="Address the HTTP API binds to")
    http_port: int | None = Field(None, description="HTTP port; each service has its own default")
    api_tokens: SecretStr | None = Field(None, description="API tokens as JSON: a list of {name, token, role, region}")
    api_tokens_file: str | None = Field(None, description="Path to a file holding the API tokens JSON (a mounted secret)")
    log_level: str = Field("INFO", description="Log level of the JSON logs")
    stream_replicas: int = Field(1, ge=1, le=5, description="JetStream replicas of the streams this service provisions (3 on a 3-node cluster)")
    relay_in_process: bool = Field(True, description="Run the outbox relay inside `kf serve` (set false when `kf relay` runs separately)")
    relay_batch_size: int = Field(500, ge=1, le=10_000, description="Outbox rows published per relay round")
    consumer_batch_size: int = Field(256, ge=1, le=5_000, description="Messages fetched per pull from JetStream")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest accepted HTTP request body")

    @field_validator("region")
    @classmethod
    def _region_is_token(cls, value: str) -> str:
        return check_token(value, "KF_REGION")

    @model_validator(mode="after")
    def _refuse_dev_token_outside_development(self) -> "ServiceSettings":
        if self.env != Environment.development:
            for token in self.tokens():
                if token.token.get_secret_value() == DEV_TOKEN:
                    raise ValueError(
                        f"KF_API_TOKENS: the development token is accepted only with KF_ENV=development (KF_ENV is {self.env.value})"
                    )
        return self

    @property
    def port(self) -> int:
        return self.http_port or self.default_port

    def database_url_value(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{Path(self.data_dir) / (self.service + '.db')}"

    def tokens(self) -> list[ApiToken]:
        """Configured tokens; in development with none configured, the development admin token."""
        raw: Any = None
        if self.api_tokens_file:
            raw = Path(self.api_tokens_file).read_text(encoding="utf-8")
        elif self.api_tokens is not None:
            raw = self.api_tokens.get_secret_value()
        if raw:
            try:
                items = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"KF_API_TOKENS must be a JSON list of tokens: {exc.msg}") from None
            return [ApiToken.model_validate(item) for item in items]
        if self.env == Environment.development:
            return [ApiToken(name="development", token=SecretStr(DEV_TOKEN), role=Role.admin, region=self.region)]
        return []


def settings_reference(classes: list[type[ServiceSettings]]) -> str:
    """A Markdown table of every `KF_` variable, generated from the settings classes."""
    # One row per variable, or one per distinct default and meaning where a service overrides them.
    rows: dict[tuple[str, str, str], list[str]] = {}
    for cls in classes:
        for name, field in cls.model_fields.items():
            var = f"KF_{name.upper()}"
            default = field.default
            shown = getattr(default, "value", default)
            if name == "http_port":
                shown = "per service"
            rows.setdefault((var, f"`{shown}`" if shown is not None else "—", field.description or ""), []).append(cls.service)
    lines = ["| variable | default | services | meaning |", "|---|---|---|---|"]
    for (var, default, desc), services in sorted(rows.items()):
        who = "all" if len(services) == len(classes) else ", ".join(services)
        lines.append(f"| `{var}` | {default} | {who} | {desc} |")
    return "\n".join(lines) + "\n"
