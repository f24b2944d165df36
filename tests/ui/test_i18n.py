"""Every dashboard label comes from the translation table, in both languages, and no page writes a raw label."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from kf.contracts import measures as measure_events
from kf.contracts.catalog import DomainEvent
from kf.contracts.events import Channel, GatheringKind
from kf.contracts.measures import MeasureState
from kf.contracts.membership import GroupRole, RoleKind, Sector
from kf.regiondata import load_region
from services.metrics.kpis import catalogue
from ui.i18n import LANGUAGES, TEXTS

UI = Path(__file__).resolve().parents[2] / "ui"
SOURCES = sorted(UI.rglob("*.py"))
STATUSES = ("achieved", "on_track", "acceleration_needed", "limited_progress", "deterioration", "insufficient_data")
# Streamlit calls whose first argument (or these keywords) is text a user reads.
LABELLED = {"title", "header", "subheader", "caption", "markdown", "text", "write", "metric", "button",
            "download_button", "form_submit_button", "text_input", "text_area", "number_input", "date_input",
            "time_input", "selectbox", "multiselect", "radio", "checkbox", "toggle", "tabs", "expander", "info",
            "warning", "error", "success", "badge", "progress", "segmented_control", "pills", "link_button", "toast"}
LABEL_KEYWORDS = {"label", "title", "text", "help", "page_title", "placeholder"}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_both_languages_with_the_same_placeholders():
    for key, entry in TEXTS.items():
        assert set(entry) == set(LANGUAGES), f"{key} has languages {sorted(entry)}, expected {sorted(LANGUAGES)}"
        assert all(entry[lang].strip() for lang in LANGUAGES), f"{key} has an empty text"
        assert _placeholders(entry["nb"]) == _placeholders(entry["en"]), f"{key}: placeholders differ between languages"


def test_every_key_a_page_asks_for_exists():
    used = {key for path in SOURCES for key in re.findall(r'\bt\("([^"]+)"', path.read_text())}
    assert used, "the pages ask for labels with t(...)"
    assert sorted(used - TEXTS.keys()) == []


@pytest.mark.parametrize(("prefix", "values"), [
    ("sector", [s.value for s in Sector]),
    ("role_kind", [r.value for r in RoleKind]),
    ("group_role", [r.value for r in GroupRole]),
    ("gathering_kind", [k.value for k in GatheringKind]),
    ("channel", [c.value for c in Channel]),
    ("state", [s.value for s in MeasureState]),
    ("status", list(STATUSES)),
    ("event", [cls.short_name() for cls in vars(measure_events).values()
               if isinstance(cls, type) and issubclass(cls, DomainEvent) and getattr(cls, "event", None)]),
    ("kpi", [k.id for k in catalogue(load_region("ostfold")) if not k.id.startswith("effect.")]),
    ("unit", sorted({k.unit for region in ("ostfold", "vestfold-telemark") for k in catalogue(load_region(region))})),
])
def test_every_value_the_services_send_has_a_label(prefix: str, values: list[str]):
    assert values
    assert sorted(v for v in values if f"{prefix}.{v}" not in TEXTS) == []


def _raw_text(node: ast.expr) -> str | None:
    """The literal text a user would read in this argument, if any (f-strings count their literal parts)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"[^\W\d_]", node.value):
        return node.value
    if isinstance(node, ast.JoinedStr):
        literal = "".join(p.value for p in node.values if isinstance(p, ast.Constant) and isinstance(p.value, str))
        if re.search(r"[^\W\d_]", literal):
            return literal
    if isinstance(node, (ast.List, ast.Tuple)):
        return next((text for item in node.elts if (text := _raw_text(item))), None)
    return None


def test_no_page_passes_a_raw_literal_label():
    offences = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "Page" or name in LABELLED:
                args = node.args[:1] if name != "Page" else []
                candidates = args + [k.value for k in node.keywords if k.arg in LABEL_KEYWORDS]
                for arg in candidates:
                    if (text := _raw_text(arg)) is not None:
                        offences.append(f"{path.relative_to(UI.parent)}:{node.lineno} {name}({text!r})")
    assert offences == []
