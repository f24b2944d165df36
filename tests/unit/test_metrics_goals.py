"""The goal engine on hand-computed cases: both methods, every status, increase and decrease goals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.metrics.goals import GoalRuleBroken, GoalSpec, check_goal, evaluate, month_ends, period_ends

BASE = date(2020, 1, 1)
TARGET = date(2022, 1, 1)  # 731 days after the baseline
AS_OF = date(2020, 3, 31)
DAYS = [30, 59, 90]  # the month ends 2020-01-31, 02-29 and 03-31


def obs(f):
    return [(BASE + timedelta(days=d), f(d)) for d in DAYS]


def linear(target: float, baseline: float = 0.0) -> GoalSpec:
    return GoalSpec("members", baseline, BASE, target, TARGET, "linear")


@pytest.mark.parametrize(("target", "status"), [(200, "on_track"), (500, "acceleration_needed"), (1000, "limited_progress")])
def test_linear_increase_forecasts_the_least_squares_line(target, status):
    # The observations lie on y = days / 2, so the line reaches 731 / 2 = 365.5 at the target date.
    ev = evaluate(linear(target), 45, obs(lambda d: d / 2), AS_OF)
    assert ev.forecast == pytest.approx(365.5)
    assert ev.slope_per_year == pytest.approx(365.25 / 2) and ev.intercept == pytest.approx(0, abs=1e-9)
    assert ev.ratio == pytest.approx(365.5 / target)
    assert ev.status == status
    assert ev.progress == pytest.approx(45 / target)
    assert ev.expected_progress == pytest.approx(90 / 731)
    assert len(ev.observations) == 3 and "R = " in ev.explanation


def test_linear_deterioration_when_the_kpi_moves_away_from_the_target():
    ev = evaluate(linear(100, baseline=50), 41, obs(lambda d: 50 - d / 10), AS_OF)
    assert ev.forecast == pytest.approx(50 - 73.1)
    assert ev.ratio == pytest.approx((50 - 73.1 - 50) / 50)
    assert ev.status == "deterioration"


def test_linear_decrease_goal():
    ev = evaluate(linear(50, baseline=100), 91, obs(lambda d: 100 - d / 10), AS_OF)
    assert ev.direction == "decrease"
    assert ev.forecast == pytest.approx(26.9)
    assert ev.ratio == pytest.approx((26.9 - 100) / (50 - 100))  # 1.462
    assert ev.status == "on_track"
    assert evaluate(linear(50, baseline=100), 45, obs(lambda d: 100 - d), AS_OF).status == "achieved"


def test_achieved_and_insufficient_data():
    assert evaluate(linear(40), 45, obs(lambda d: d / 2), AS_OF).status == "achieved"
    one = evaluate(linear(200), 15, obs(lambda d: d / 2)[:1], date(2020, 2, 15))
    assert one.status == "insufficient_data" and one.ratio is None and "1 month-end" in one.explanation
    none = evaluate(linear(200), None, obs(lambda d: None), AS_OF)
    assert none.status == "insufficient_data"
    # Achieved wins even without observations.
    assert evaluate(linear(10), 12, [], date(2020, 1, 15)).status == "achieved"


def test_cagr_increase():
    spec = GoalSpec("members", 100, BASE, 121, TARGET, "cagr")
    as_of = date(2021, 1, 1)
    months = [(d, 100 + i) for i, d in enumerate(month_ends(BASE, as_of))]
    ev = evaluate(spec, 110, months, as_of)
    t_now, t_target = 366 / 365.25, 731 / 365.25
    observed = 1.1 ** (1 / t_now) - 1
    required = 1.21 ** (1 / t_target) - 1
    assert ev.cagr_observed == pytest.approx(observed) and ev.cagr_required == pytest.approx(required)
    assert ev.ratio == pytest.approx(observed / required)  # ≈ 0.9989
    assert ev.status == "on_track"
    assert ev.forecast == pytest.approx(100 * (1 + observed) ** t_target)


def test_cagr_decrease_and_deterioration():
    spec = GoalSpec("members", 100, BASE, 50, TARGET, "cagr")
    as_of = date(2021, 1, 1)
    months = [(d, 90) for d in month_ends(BASE, as_of)]
    ev = evaluate(spec, 80, months, as_of)
    observed = 0.8 ** (1 / (366 / 365.25)) - 1
    required = 0.5 ** (1 / (731 / 365.25)) - 1
    assert ev.ratio == pytest.approx(-1 * observed / abs(required))  # ≈ 0.68
    assert ev.status == "acceleration_needed"
    worse = evaluate(spec, 120, months, as_of)
    assert worse.ratio < 0 and worse.status == "deterioration"
    slow = evaluate(spec, 95, months, as_of)
    assert 0 <= slow.ratio < 0.6 and slow.status == "limited_progress"


def test_goals_that_cannot_be_evaluated_are_refused_with_the_field():
    with pytest.raises(GoalRuleBroken) as zero:
        check_goal(GoalSpec("members", 0, BASE, 10, TARGET, "cagr"))
    assert zero.value.field == "baseline_value" and "above zero" in str(zero.value)
    with pytest.raises(GoalRuleBroken) as negative:
        check_goal(GoalSpec("members", -5, BASE, 10, TARGET, "cagr"))
    assert negative.value.field == "baseline_value"
    with pytest.raises(GoalRuleBroken) as flat:
        check_goal(GoalSpec("members", 5, BASE, 5, TARGET))
    assert flat.value.field == "target_value"
    with pytest.raises(GoalRuleBroken) as backwards:
        check_goal(GoalSpec("members", 5, BASE, 9, BASE))
    assert backwards.value.field == "target_date"
    check_goal(GoalSpec("members", 0, BASE, 10, TARGET, "linear"))  # zero baseline is fine for linear


def test_calendar_helpers():
    assert month_ends(date(2020, 1, 31), date(2020, 4, 15)) == [date(2020, 1, 31), date(2020, 2, 29), date(2020, 3, 31)]
    assert period_ends(date(2020, 1, 1), date(2020, 12, 31), "quarter") == [
        date(2020, 3, 31), date(2020, 6, 30), date(2020, 9, 30), date(2020, 12, 31)]
    assert period_ends(date(2020, 1, 1), date(2021, 6, 1), "year") == [date(2020, 12, 31), date(2021, 6, 1)]


def test_goals_beyond_what_can_be_computed_are_refused_with_the_field():
    with pytest.raises(GoalRuleBroken) as long:
        check_goal(GoalSpec("members", 0, date(1, 1, 1), 10, TARGET))
    assert long.value.field == "target_date" and "50 years" in str(long.value)
    check_goal(GoalSpec("members", 0, date(1972, 1, 2), 10, TARGET))  # 49.997 years: fine
    # Growing 2 → 20 in one day needs a yearly rate of 10^365: no float holds it.
    with pytest.raises(GoalRuleBroken) as steep:
        check_goal(GoalSpec("members", 2, date(2021, 1, 30), 20, date(2021, 1, 31), "cagr"))
    assert steep.value.field == "target_date" and "linear" in str(steep.value)
    check_goal(GoalSpec("members", 2, date(2021, 1, 1), 20, date(2021, 3, 1), "cagr"))  # 10× in two months: fine
    with pytest.raises(GoalRuleBroken) as flat:  # a rate that rounds to 0: R would divide by zero
        check_goal(GoalSpec("members", 1, BASE, 1 + 2e-16, TARGET, "cagr"))
    assert flat.value.field == "target_value"


def test_a_growth_beyond_any_rate_still_gets_a_status():
    # 1 → 1e300 in three months is a yearly rate beyond floating point: R is +∞ for an increase goal, −∞ for a decrease.
    up = evaluate(GoalSpec("members", 1, BASE, 1e305, TARGET, "cagr"), 1e300, obs(lambda d: 1e300), AS_OF)
    assert up.status == "on_track" and up.ratio is None and up.forecast is None and "∞" in up.explanation
    down = evaluate(GoalSpec("members", 10, BASE, 1, TARGET, "cagr"), 1e300, obs(lambda d: 1e300), AS_OF)
    assert down.status == "deterioration" and down.ratio is None


def test_observations_stop_at_the_target_date():
    spec = GoalSpec("members", 0, BASE, 1000, date(2020, 2, 29), "linear")
    # After the target date the KPI jumps; the forecast for the target date reads the month ends up to it only.
    ev = evaluate(spec, 50, obs(lambda d: d / 2 if d < 60 else 500), AS_OF)
    assert [o["date"] for o in ev.observations] == ["2020-01-31", "2020-02-29"]
    assert ev.forecast == pytest.approx(59 / 2)


def test_month_ends_reach_the_last_representable_month():
    assert month_ends(date(9999, 11, 1), date(9999, 12, 31)) == [date(9999, 11, 30), date(9999, 12, 31)]
    assert period_ends(date(9999, 1, 1), date(9999, 12, 31), "year") == [date(9999, 12, 31)]
