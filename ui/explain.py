"""Why a goal has its status, in the reader's language, built from the numbers of the metrics API's evaluation.

The API's own `explanation` is an English formula for engineers; the steering group reads this sentence instead.
"""

from __future__ import annotations

from typing import Any

from ui.components import fmt_change, fmt_date, fmt_number
from ui.i18n import t
from ui.markup import md


def _share(value: Any) -> str:
    return fmt_number(value, "share") if value is None else fmt_number(round(float(value), 3), "share")


def goal_explanation(goal: dict[str, Any], unit: str | None) -> str:
    """One or two sentences for a flattened goal (see `data.flatten_goal`); empty when the goal was not evaluated."""
    status = goal.get("status")
    if not status:
        return ""
    current, target = goal.get("current_value"), goal.get("target_value")
    observations = goal.get("observations") or []
    if status == "achieved":
        return t("explain.achieved", current=fmt_number(current, unit), target=fmt_number(target, unit))
    if status == "insufficient_data":
        if current is not None and len(observations) >= 2:  # a CAGR goal on its baseline date
            return t("explain.no_time")
        return t("explain.too_few", count=len(observations), since=md(fmt_date(goal.get("baseline_date"))))
    ratio = fmt_number(goal.get("r", goal.get("ratio")))
    if goal.get("method") == "cagr":
        if goal.get("cagr_observed") is None:
            return t("explain.cagr_beyond")
        return t("explain.cagr", observed=_share(goal["cagr_observed"]), required=_share(goal.get("cagr_required")),
                 ratio=ratio)
    slope = float(goal.get("slope_per_year") or 0)
    per_year = fmt_change(abs(slope), unit)  # shares in percentage points; None when it rounds to nothing
    if per_year is None:
        trend = t("explain.flat")
    else:
        trend = t("explain.rising" if slope > 0 else "explain.falling", slope=per_year.removeprefix("+"))
    return t("explain.linear", count=len(observations), trend=trend, forecast=fmt_number(goal.get("forecast"), unit),
             date=fmt_date(goal.get("target_date")), ratio=ratio)
