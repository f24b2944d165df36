"""docs/operations.md stays true to the code: every setting, metric, path and NATS password it names exists,
and every setting and metric the code has is documented there or in the generated configuration.md."""

from __future__ import annotations

import re
from pathlib import Path

from kf.registry import available_services
from kf.runtime.telemetry import ServiceMetrics
from ui.settings import UiSettings

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
UI_VARIABLES = {f"KF_UI_{name.upper()}" for name in UiSettings.model_fields}  # the dashboard's settings


def settings_variables() -> set[str]:
    return {f"KF_{name.upper()}" for spec in available_services() for name in spec.settings_class().model_fields}


def test_every_setting_of_every_service_is_documented():
    missing = sorted(v for v in settings_variables() if f"`{v}" not in OPERATIONS and f"`{v}`" not in CONFIGURATION)
    assert not missing, f"undocumented settings: {missing}"
    assert "(configuration.md)" in OPERATIONS, "operations.md links the generated reference"
    for variable in UI_VARIABLES:
        assert variable in OPERATIONS


def test_every_variable_the_guide_names_exists(natsconfig):
    named = {v for v in re.findall(r"\bKF_[A-Z0-9_]+\b", OPERATIONS) if not v.endswith("_")}  # `_${X}` is a shell template
    stream_names = {"KF_MEMBERSHIP", "KF_EVENTS", "KF_MEASURES", "KF_METRICS", "KF_DEADLETTER"}
    known = settings_variables() | UI_VARIABLES | set(natsconfig.password_vars()) | stream_names
    assert not named - known, f"the guide names settings that do not exist: {sorted(named - known)}"


def test_the_guide_creates_every_nats_password_the_server_needs(natsconfig):
    created = set(re.findall(r"--from-literal=(KF_NATS_[A-Z_]+_PASSWORD)=", OPERATIONS))
    assert created == set(natsconfig.password_vars())
    for account in natsconfig.ACCOUNTS:
        for service in account.services:
            assert f"`{account.user(service)}`" in OPERATIONS


def test_every_prometheus_metric_is_explained():
    families = {f.name: f.type for f in ServiceMetrics("any").registry.collect()}
    for name, kind in families.items():
        exposed = f"{name}_total" if kind == "counter" else name
        assert f"`{exposed}`" in OPERATIONS, exposed


def test_every_deploy_path_the_guide_names_exists():
    paths = set(re.findall(r"deploy/(?:docker|k8s|nats)/[A-Za-z0-9_./-]*", OPERATIONS))
    assert paths
    for path in paths:
        path = path.rstrip(".")
        if "REGION" in path or "SERVICE" in path:
            continue  # a placeholder the reader fills in
        assert (ROOT / path).exists(), path
