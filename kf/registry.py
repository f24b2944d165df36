"""Where each service lives, named by import path so the kit never imports a service statically."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int

    @property
    def package(self) -> str:
        return f"services.{self.name}"

    def load(self, attr_path: str) -> Any:
        module, _, attr = attr_path.partition(":")
        return getattr(importlib.import_module(f"{self.package}.{module}"), attr)

    def settings_class(self):
        return self.load("settings:Settings")

    def create_app(self):
        return self.load("app:create_app")

    def migrations_dir(self) -> Path:
        return Path(importlib.import_module(self.package).__file__).parent / "migrations"

    def has_module(self, module: str) -> bool:
        return (Path(importlib.import_module(self.package).__file__).parent / f"{module}.py").is_file()


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("membership", 8101),
        ServiceSpec("events", 8102),
        ServiceSpec("measures", 8103),
        ServiceSpec("metrics", 8104),
    )
}
DASHBOARD_PORT = 8501


def available_services() -> list[ServiceSpec]:
    """The services present in this build (a region may ship only some of them)."""
    return [spec for spec in SERVICES.values() if spec.has_module("app")]


def get_service(name: str) -> ServiceSpec:
    if name not in SERVICES:
        raise SystemExit(f"unknown service {name!r}: choose one of {', '.join(SERVICES)}")
    return SERVICES[name]
