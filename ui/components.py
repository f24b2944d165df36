"""Small widgets every page uses: goal status badges, progress, CSV downloads and forms with field errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from ui.apiclient import ApiError, ServiceUnavailable
from ui.i18n import has_key, language, t
from ui.markup import md
from ui.shell import report_problem

STATUS_COLOURS = {
    "achieved": "blue",
    "on_track": "green",
    "acceleration_needed": "orange",
    "limited_progress": "orange",
    "deterioration": "red",
    "insufficient_data": "gray",
}


def status_badge(status: str | None) -> None:
    status = status or "insufficient_data"
    st.badge(t(f"status.{status}"), color=STATUS_COLOURS.get(status, "gray"))


def progress_bar(progress: float | None, expected: float | None = None) -> None:
    """Progress towards the goal, clamped to the bar; the text keeps the real percentage."""
    if progress is None:
        st.progress(0, text=t("goal.progress_unknown"))
        return
    text = t("goal.progress", progress=f"{progress:.0%}")
    if expected is not None:
        text += " · " + t("goal.expected_progress", expected=f"{expected:.0%}")
    st.progress(min(max(float(progress), 0.0), 1.0), text=text)


def csv_download(frame: pd.DataFrame, file_name: str, key: str) -> None:
    st.download_button(t("action.download_csv"), frame.to_csv(index=False).encode("utf-8"), file_name=file_name,
                       mime="text/csv", key=key, icon=":material/download:")


def fmt_number(value: Any, unit: str | None = None) -> str:
    """A number as the reader writes it: `1 234,5` in Norwegian, `1,234.5` in English; shares as percentages."""
    if value is None:
        return "–"
    number = float(value)
    if unit == "share":
        text = f"{number:.0%}"
    elif number.is_integer():
        text = f"{int(number):,}"
    else:
        text = f"{number:,.2f}"
    if language() == "nb":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def fmt_date(value: date | str | None) -> str:
    """A date as the reader writes it: `31.12.2025` in Norwegian, ISO `2025-12-31` in English; text that is no date
    is shown as it is, nothing as `–`."""
    if value is None or value == "":
        return "–"
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
    return day.strftime("%d.%m.%Y") if language() == "nb" else day.isoformat()


def fmt_unit(unit: str | None) -> str:
    """A KPI's unit (`members`, `share`, …) in the reader's language; an unknown unit as the API wrote it."""
    if not unit:
        return ""
    return t(f"unit.{unit}") if has_key(f"unit.{unit}") else unit


def fmt_change(change: float, unit: str | None = None) -> str | None:
    """A signed change as the reader writes it (shares in percentage points); None when it rounds to nothing."""
    if unit == "share":
        points = round(change * 100, 1)
        if points == 0:
            return None
        text = f"{abs(points):.1f}".removesuffix(".0")
        if language() == "nb":
            text = text.replace(".", ",")
        return ("+" if points > 0 else "-") + t("unit.percentage_points", value=text)
    if round(change, 2) == 0:
        return None
    return ("+" if change > 0 else "-") + fmt_number(abs(round(change, 2)), unit)


class FieldForm:
    """A form whose API validation errors are shown right below the field the API names (`errors[].field`)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._slots: dict[str, Any] = {}
        self._general: Any = None

    def slot(self, field: str) -> None:
        """Call right after the widget for `field`: its error will appear here."""
        self._slots[field] = st.empty()

    def general_slot(self) -> None:
        self._general = st.empty()

    def _slot_for(self, field: str):
        parts = field.split(".")
        while parts:
            name = ".".join(parts)
            if name in self._slots:
                return self._slots[name]
            parts.pop()
        return None

    def show(self, error: ApiError) -> None:
        unplaced: list[str] = []
        for field, message in error.field_errors().items():
            slot = self._slot_for(field)
            if slot is None:
                unplaced.append(f"{field}: {message}")
            else:
                slot.error(md(message), icon=":material/error:")
        if unplaced or not error.field_errors():
            text = "; ".join(unplaced) if unplaced else error.message
            target = self._general or st
            target.error(t("form.refused", status=error.status, message=md(text)), icon=":material/error:")

    def submit(self, call: Callable[[], Any], success: Callable[[Any], str]) -> Any | None:
        """Run the API call; show its field errors, or a success message. Returns the answer or None."""
        try:
            result = call()
        except ApiError as exc:
            self.show(exc)
            return None
        except ServiceUnavailable as exc:
            report_problem(exc)
            return None
        (self._general or st).success(success(result), icon=":material/check_circle:")
        return result
