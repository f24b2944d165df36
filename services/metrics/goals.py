"""The goal-tracking engine, pure: checks a goal, and evaluates it from the KPI's values with every number shown.

Times are in years of 365.25 days. Observations are the KPI's values as of each month end from the baseline
date up to the evaluation date or the target date, whichever comes first: the forecast is made for the target date,
and a goal spans at most `MAX_YEARS`, so an evaluation reads at most about 600 month ends.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import asdict, dataclass, field
from datetime import date

DAYS_PER_YEAR = 365.25
ON_TRACK, ACCELERATION = 0.95, 0.6
MAX_YEARS = 50  # from the baseline date to the target date
_MAX_LOG = 700.0  # math.exp overflows a float a little above 709


class GoalRuleBroken(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class GoalSpec:
    kpi: str
    baseline_value: float
    baseline_date: date
    target_value: float
    target_date: date
    method: str = "linear"


@dataclass
class Evaluation:
    status: str
    method: str
    direction: str
    as_of: date
    current_value: float | None
    progress: float | None
    expected_progress: float
    forecast: float | None = None
    ratio: float | None = None
    observations: list[dict] = field(default_factory=list)
    slope_per_year: float | None = None
    intercept: float | None = None
    years_elapsed: float | None = None
    years_total: float | None = None
    cagr_observed: float | None = None
    cagr_required: float | None = None
    explanation: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def check_goal(spec: GoalSpec) -> None:
    """Refuse a goal no status can be computed for; the error names the field."""
    if spec.target_value == spec.baseline_value:
        raise GoalRuleBroken("target_value must differ from baseline_value (a goal needs a direction)", "target_value")
    if spec.target_date <= spec.baseline_date:
        raise GoalRuleBroken("target_date must be after baseline_date", "target_date")
    if years(spec.baseline_date, spec.target_date) > MAX_YEARS:
        raise GoalRuleBroken(f"a goal spans at most {MAX_YEARS} years: target_date must be no later than {MAX_YEARS} "
                             "years after baseline_date", "target_date")
    if spec.method == "cagr":
        if spec.baseline_value <= 0:
            raise GoalRuleBroken("the cagr method needs a baseline_value above zero (a growth rate from zero or below "
                                 "is undefined); use the linear method", "baseline_value")
        if spec.target_value <= 0:
            raise GoalRuleBroken("the cagr method needs a target_value above zero", "target_value")
        required = growth_rate(spec.target_value / spec.baseline_value, years(spec.baseline_date, spec.target_date))
        if required is None:
            raise GoalRuleBroken(f"the cagr method cannot express growing from {spec.baseline_value:g} to "
                                 f"{spec.target_value:g} in {(spec.target_date - spec.baseline_date).days} day(s): the "
                                 "yearly growth rate needed is beyond any number; set a later target_date or use the "
                                 "linear method", "target_date")
        if required == 0:  # R divides by it
            raise GoalRuleBroken("target_value is too close to baseline_value for a growth rate to tell them apart; "
                                 "use the linear method", "target_value")


def growth_rate(ratio: float, span_years: float) -> float | None:
    """ratio^(1/span_years) − 1, the yearly rate that multiplies a value by `ratio` in `span_years` (ratio > 0);
    None when it is too large for a float (a huge ratio over a very short time)."""
    return None if math.log(ratio) / span_years > _MAX_LOG else ratio ** (1 / span_years) - 1


def month_ends(start: date, end: date) -> list[date]:
    """Every month's last day d with start ≤ d ≤ end."""
    out = []
    year, month = start.year, start.month
    while year <= date.max.year:
        d = date(year, month, calendar.monthrange(year, month)[1])
        if d > end:
            return out
        if d >= start:
            out.append(d)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def years(a: date, b: date) -> float:
    return (b - a).days / DAYS_PER_YEAR


def least_squares(points: list[tuple[float, float]]) -> tuple[float, float]:
    """(intercept, slope) of the least-squares line through (x, y) points with at least two distinct x."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - slope * mx, slope


def status_for(r: float) -> str:
    if r >= ON_TRACK:
        return "on_track"
    if r >= ACCELERATION:
        return "acceleration_needed"
    if r >= 0:
        return "limited_progress"
    return "deterioration"


def evaluate(spec: GoalSpec, current: float | None, observations: list[tuple[date, float | None]], as_of: date) -> Evaluation:
    """The goal's status as of a date, from the KPI's current value and its month-end observations."""
    d = 1 if spec.target_value > spec.baseline_value else -1
    span = spec.target_value - spec.baseline_value
    total = years(spec.baseline_date, spec.target_date)
    elapsed = years(spec.baseline_date, as_of)
    last = min(as_of, spec.target_date)
    obs = [(day, float(v)) for day, v in observations if v is not None and spec.baseline_date <= day <= last]
    ev = Evaluation(status="insufficient_data", method=spec.method, direction="increase" if d > 0 else "decrease",
                    as_of=as_of, current_value=current,
                    progress=None if current is None else (current - spec.baseline_value) / span,
                    expected_progress=min(max(elapsed / total, 0.0), 1.0),
                    observations=[{"date": day.isoformat(), "value": v} for day, v in obs],
                    years_elapsed=elapsed, years_total=total)
    if current is not None and (current - spec.target_value) * d >= 0:
        ev.status = "achieved"
        ev.explanation = f"the current value {current:g} has reached the target {spec.target_value:g}"
        return ev
    if current is None or len(obs) < 2:
        ev.explanation = f"{len(obs)} month-end observation(s) since the baseline date; at least 2 are needed"
        return ev
    if spec.method == "cagr":
        if elapsed <= 0:
            ev.explanation = "no time has passed since the baseline date"
            return ev
        observed = growth_rate(current / spec.baseline_value, elapsed) if current > 0 else -1.0
        ev.cagr_required = growth_rate(spec.target_value / spec.baseline_value, total)  # check_goal: finite
        if observed is None:  # grown beyond any yearly rate since a baseline date just before the last month end
            ev.status = "on_track" if d > 0 else "deterioration"
            ev.explanation = (f"CAGR observed ({current:g}/{spec.baseline_value:g})^(1/{elapsed:.4f}) − 1 is beyond any "
                              f"number: R is taken as {'+' if d > 0 else '−'}∞")
            return ev
        ev.cagr_observed = observed
        ev.ratio = d * ev.cagr_observed / abs(ev.cagr_required)
        # y_0 · (1 + CAGR_obs)^T, left out when beyond any number
        grown = math.log1p(observed) * total + math.log(spec.baseline_value) if observed > -1 else -math.inf
        ev.forecast = math.exp(grown) if grown <= _MAX_LOG else None
        ev.explanation = (f"CAGR observed ({current:g}/{spec.baseline_value:g})^(1/{elapsed:.4f}) − 1 = {ev.cagr_observed:.6f}; "
                          f"required ({spec.target_value:g}/{spec.baseline_value:g})^(1/{total:.4f}) − 1 = {ev.cagr_required:.6f}; "
                          f"R = {d:+d} × {ev.cagr_observed:.6f} / {abs(ev.cagr_required):.6f} = {ev.ratio:.4f}")
    else:
        intercept, slope = least_squares([(years(spec.baseline_date, day), v) for day, v in obs])
        ev.intercept, ev.slope_per_year = intercept, slope
        ev.forecast = intercept + slope * total
        ev.ratio = (ev.forecast - spec.baseline_value) / span
        ev.explanation = (f"least-squares line through {len(obs)} month-end values: {intercept:.4f} + {slope:.4f}·t (t in years "
                          f"since {spec.baseline_date.isoformat()}); forecast at t = {total:.4f}: {ev.forecast:.4f}; "
                          f"R = ({ev.forecast:.4f} − {spec.baseline_value:g}) / ({spec.target_value:g} − {spec.baseline_value:g}) = {ev.ratio:.4f}")
    ev.status = status_for(ev.ratio)
    return ev


def period_ends(start: date, end: date, interval: str) -> list[date]:
    """Ends of months, quarters or years between two dates (a series' points), and the end date itself."""
    ends = month_ends(start, end)
    if interval == "quarter":
        ends = [d for d in ends if d.month % 3 == 0]
    elif interval == "year":
        ends = [d for d in ends if d.month == 12]
    if not ends or ends[-1] != end:
        ends.append(end)
    return ends
