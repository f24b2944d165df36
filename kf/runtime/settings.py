"""Service settings from `KF_` environment variables; one class per service derives from these."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kf.contracts.subjects import check_token
from kf.regiondata import RegionFileError, UnknownRegion, load_region

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


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TOKEN_FIELDS = "{name, token, role, region}"
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def without_credentials(url: str) -> str:
    """A URL (or comma-separated URLs) with any `user:password@` removed, for messages and logs."""
    return _USERINFO.sub("", url)


class ServiceSettings(BaseSettings):
    """Settings every service shares. Each field is read from `KF_<NAME>`.

    Every problem is reported at construction, as a ValidationError whose messages name the variable (the field's
    `KF_` name, or a `KF_...:` prefix for checks across fields) and never contain a value that may be a secret."""

    # hide_input_in_errors: a ValidationError printed anywhere (a traceback, a log) must not show the API tokens,
    # database URL or NATS password it was given.
    model_config = SettingsConfigDict(env_prefix="KF_", extra="ignore", validate_default=True,
                                      hide_input_in_errors=True)

    service: ClassVar[str] = ""
    default_port: ClassVar[int] = 8100

    env: Environment = Field(Environment.production, description="development, test or production; only development accepts the development token")
    region: str = Field("ostfold", description="The region this instance serves (a subject token, e.g. `ostfold`)")
    region_file: str | None = Field(None, description="Path to this region's data (focus areas, indicators) as JSON; the shipped data when empty")
    nats_url: str = Field("nats://127.0.0.1:4222", description="NATS server URL(s), comma-separated for a cluster")
    nats_user: str | None = Field(None, description="NATS user name (with KF_NATS_PASSWORD)")
    nats_password: SecretStr | None = Field(None, description="NATS password")
    nats_creds_file: str | None = Field(None, description="Path to a NATS credentials (.creds) file, as `nsc generate creds` writes it; must exist and be readable")
    database_url: SecretStr | None = Field(None, description="SQLAlchemy URL of this service's own database; default `sqlite:///KF_DATA_DIR/SERVICE.db`")
    data_dir: str = Field("var", description="Directory for SQLite files and other local state")
    http_host: str = Field("127.0.0.1", description="Address the HTTP API binds to")
    http_port: int | None = Field(None, description="HTTP port, 1 to 65535; each service has its own default")
    api_tokens: SecretStr | None = Field(None, description="API tokens as JSON: a list of {name, token, role, region}; each token at least 16 characters")
    api_tokens_file: str | None = Field(None, description="Path to a file holding the API tokens JSON (a mounted secret)")
    metrics_token: SecretStr | None = Field(None, description="Bearer token a Prometheus scraper must send to `GET /metrics` (at least 16 characters); `/metrics` is open without it. The metrics service's gauges carry every served region's KPI values")
    log_level: str = Field("INFO", description="Log level of the JSON logs: DEBUG, INFO, WARNING, ERROR or CRITICAL")
    stream_replicas: int = Field(1, ge=1, le=5, description="JetStream replicas of the streams this service provisions (3 on a 3-node cluster)")
    relay_in_process: bool = Field(True, description="Run the outbox relay inside `kf serve` (set false when `kf relay` runs separately)")
    relay_batch_size: int = Field(500, ge=1, le=10_000, description="Outbox rows published per relay round")
    consumer_batch_size: int = Field(256, ge=1, le=5_000, description="Messages fetched per pull from JetStream")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest accepted HTTP request body")

    _tokens: list[ApiToken] = PrivateAttr(default_factory=list)

    @field_validator("region")
    @classmethod
    def _region_is_token(cls, value: str) -> str:
        return check_token(value, "KF_REGION")

    @field_validator("log_level")
    @classmethod
    def _log_level_is_known(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
        return level

    @field_validator("http_port")
    @classmethod
    def _http_port_in_range(cls, value: int | None) -> int | None:
        if value is not None and not 1 <= value <= 65535:
            raise ValueError(f"must be a TCP port from 1 to 65535 (leave it unset for the service's default), got {value}")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_parses(cls, value: SecretStr | None) -> SecretStr | None:
        # The value is never quoted: it usually holds a password.
        if value is None:
            return None
        if not value.get_secret_value().strip():
            # Set but empty is a secret without its value, not a wish for the default: a production pod would
            # otherwise run on a SQLite file of its own, lost at each restart, and say it is ready.
            raise ValueError("is set but empty (a secret without a value?); give the database URL, or leave the "
                             "variable unset for the SQLite default in KF_DATA_DIR")
        problem = _database_url_problem(value.get_secret_value().strip())
        if problem:
            raise ValueError(f"{problem}; expected e.g. postgresql://USER:PASSWORD@HOST:5432/DATABASE or "
                             "sqlite:///PATH/TO/FILE.db (the value is not shown: it may hold a password)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token_is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # Never quoted: it is a secret.
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if not token:
            raise ValueError("is set but empty (a secret without a value?); give the scrape token, or leave the "
                             "variable unset for an open /metrics")
        if len(token) < 16:
            raise ValueError(f"must be at least 16 characters, got {len(token)} (the value is not shown)")
        return SecretStr(token)

    @field_validator("nats_creds_file")
    @classmethod
    def _creds_file_is_readable(cls, value: str | None) -> str | None:
        # The file's contents (a private key seed) are never quoted.
        if value is None or not value.strip():
            return None
        path = Path(value)
        if not path.is_file():
            raise ValueError(f"{path} is a directory, not a NATS credentials file" if path.is_dir()
                             else f"{path} does not exist")
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
        if "BEGIN NATS USER JWT" not in text or "BEGIN USER NKEY SEED" not in text:
            raise ValueError(f"{path} is not a NATS credentials file: expected the 'BEGIN NATS USER JWT' and "
                             "'BEGIN USER NKEY SEED' sections that `nsc generate creds` writes")
        return value

    @model_validator(mode="after")
    def _check_region_and_tokens(self) -> "ServiceSettings":
        # Checked here, not when the service starts, so every command (`kf migrate` too) refuses them with a message.
        problems: list[str] = []
        try:
            load_region(self.region, self.region_file)
        except RegionFileError as exc:
            problems.append(f"KF_REGION_FILE: {exc}")
        except UnknownRegion as exc:
            problems.append(f"KF_REGION: {exc}")
        tokens, token_problems = self._read_tokens()
        problems += token_problems
        if not token_problems and self.env != Environment.development:
            for token in tokens:
                if token.token.get_secret_value() == DEV_TOKEN:
                    problems.append(f"{self._tokens_source()}: the development token is accepted only with "
                                    f"KF_ENV=development (KF_ENV is {self.env.value})")
                    break
        if problems:
            raise ValueError("; ".join(problems))
        self._tokens = tokens
        return self

    def _tokens_source(self) -> str:
        return "KF_API_TOKENS_FILE" if self.api_tokens_file else "KF_API_TOKENS"

    def _read_tokens(self) -> tuple[list[ApiToken], list[str]]:
        """The configured tokens and the problems with them, each named by where it came from; never a token."""
        raw: Any = None
        if self.api_tokens_file:
            source = f"KF_API_TOKENS_FILE ({self.api_tokens_file})"
            try:
                raw = Path(self.api_tokens_file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or type(exc).__name__
                return [], [f"KF_API_TOKENS_FILE: cannot read {self.api_tokens_file}: {reason}"]
        elif self.api_tokens is not None:
            source = "KF_API_TOKENS"
            raw = self.api_tokens.get_secret_value()
        if raw and raw.strip():
            try:
                items = json.loads(raw)
            except json.JSONDecodeError as exc:
                return [], [f"{source} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
                            f"expected a list of {TOKEN_FIELDS}"]
            if not isinstance(items, list):
                return [], [f"{source} must be a JSON list of {TOKEN_FIELDS}, got a JSON {_json_kind(items)}"]
            tokens, problems = [], []
            for i, item in enumerate(items):
                entry = f"{source}[{i}]" if source == "KF_API_TOKENS" else f"{source} entry {i}"
                if not isinstance(item, dict):
                    problems.append(f"{entry} must be a JSON object {TOKEN_FIELDS}, got a JSON {_json_kind(item)}")
                    continue
                try:
                    tokens.append(ApiToken.model_validate(item))
                except ValidationError as exc:
                    for error in exc.errors(include_input=False):
                        field = ".".join(str(p) for p in error["loc"])
                        message = error["msg"]
                        if field == "token" and error["type"] == "too_short":
                            message = "must be at least 16 characters"
                        if not field:
                            problems.append(f"{entry}: {message}")
                        elif source == "KF_API_TOKENS":
                            problems.append(f"{entry}.{field}: {message}")
                        else:
                            problems.append(f"{entry}, {field}: {message}")
            return tokens, problems
        if self.env == Environment.development:
            return [ApiToken(name="development", token=SecretStr(DEV_TOKEN), role=Role.admin, region=self.region)], []
        return [], []

    @property
    def port(self) -> int:
        return self.http_port or self.default_port

    def database_url_value(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{Path(self.data_dir) / (self.service + '.db')}"

    def tokens(self) -> list[ApiToken]:
        """Configured tokens (read and checked when the settings were made); in development with none configured,
        the development admin token."""
        return list(self._tokens)

    def nats_url_display(self) -> str:
        """KF_NATS_URL without any credentials in it, for messages and logs."""
        return without_credentials(self.nats_url)


def _json_kind(value: Any) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _database_url_problem(url: str) -> str | None:
    """What is wrong with a database URL, without quoting it (it may hold a password), or None."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    for prefix in ("postgres://", "postgresql://"):  # as kf.runtime.db.normalise_url does
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix):]
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "not a database URL"
    except ValueError:  # e.g. a port that is not a number; the message would quote part of the URL
        return "not a valid database URL (check that the port is a number)"
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        return f"unsupported database {parsed.get_backend_name()!r} (PostgreSQL or SQLite)"
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        return f"unknown database driver {parsed.drivername!r}"
    return None


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
