"""The measure rules without I/O: the state machine's properties and the checks on effects and reports."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kf.contracts.measures import MeasureState as S
from services.measures import domain
from services.measures.domain import TRANSITIONS, Action, RuleBroken, next_state

# The lifecycle the forum described, written out independently of the table it checks.
MAIN_PATH = [(S.proposed, Action.receive_input, S.in_review), (S.in_review, Action.revise, S.revised),
             (S.revised, Action.adopt, S.adopted), (S.adopted, Action.accept_ownership, S.anchored),
             (S.anchored, Action.start, S.in_progress), (S.in_progress, Action.complete, S.completed)]


def test_the_main_path_and_the_endings_follow_the_forums_lifecycle():
    for source, action, target in MAIN_PATH:
        assert next_state(source, action) == target
    assert next_state(S.revised, Action.reject) == S.rejected
    assert next_state(S.in_progress, Action.stop) == S.stopped
    assert domain.FINAL_STATES == {S.rejected, S.completed, S.stopped}
    assert len({(t.source, t.action) for t in TRANSITIONS}) == len(TRANSITIONS), "one target per (state, action)"


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("action", list(Action))
def test_every_pair_not_in_the_table_is_a_conflict_naming_the_allowed_next_states(state, action):
    allowed = {(t.source, t.action): t.target for t in TRANSITIONS}
    if (state, action) in allowed:
        assert next_state(state, action) == allowed[(state, action)]
        return
    with pytest.raises(RuleBroken) as refused:
        next_state(state, action)
    assert refused.value.conflict and refused.value.field == "state"
    assert refused.value.details["current_state"] == state.value
    assert refused.value.details["allowed_next_states"] == [s.value for s in domain.allowed_next_states(state)]


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_no_sequence_of_actions_adopts_a_measure_without_review_and_revision(actions):
    state, seen = S.proposed, [S.proposed]
    for action in actions:
        try:
            state = next_state(state, action)
        except RuleBroken:
            continue
        seen.append(state)
        if state == S.adopted:
            assert S.in_review in seen and S.revised in seen
        if state == S.in_progress:
            assert S.anchored in seen, "nothing starts without an owner holding a mandate"
        if state in (S.completed, S.stopped, S.rejected):
            assert domain.allowed_next_states(state) == []


def test_every_state_can_still_end():
    for state in S:
        frontier, reached = {state}, {state}
        while frontier:
            frontier = {t.target for t in TRANSITIONS if t.source in frontier} - reached
            reached |= frontier
        assert reached & domain.FINAL_STATES, f"{state.value} can never end"


def test_input_moves_only_a_proposed_measure():
    assert domain.state_after_input(S.proposed) == S.in_review
    assert all(domain.state_after_input(s) == s for s in S if s != S.proposed)


def test_the_diagram_shows_every_transition_once():
    diagram = domain.mermaid_state_diagram()
    assert diagram.startswith("stateDiagram-v2\n    [*] --> proposed")
    for t in TRANSITIONS:
        assert diagram.count(f"{t.source.value} --> {t.target.value}: {t.action.value}") == 1


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"target": -1.0}, "target"),
    ({"baseline": -3.0}, "baseline"),
    ({"target_date": date(2019, 12, 31)}, "target_date"),
])
def test_expectations_refuse_impossible_targets(kwargs, field):
    values = {"kind": "count", "baseline": 0.0, "target": 10.0, "baseline_date": date(2020, 1, 1),
              "target_date": date(2022, 1, 1), **kwargs}
    with pytest.raises(RuleBroken) as refused:
        domain.check_expectation(**values)
    assert refused.value.field == field


def test_a_level_indicator_may_go_below_zero_but_a_count_may_not():
    domain.check_expectation(kind="level", baseline=-2.0, target=-1.0, baseline_date=date(2020, 1, 1),
                             target_date=date(2021, 1, 1))
    with pytest.raises(RuleBroken):
        domain.check_report(state=S.in_progress, kind="count", value=-1, period_start=date(2020, 1, 1),
                            period_end=date(2020, 3, 31))


@pytest.mark.parametrize("state", [s for s in S if s != S.in_progress])
def test_reports_only_for_a_measure_in_progress(state):
    with pytest.raises(RuleBroken) as refused:
        domain.check_report(state=state, kind="count", value=1, period_start=date(2020, 1, 1),
                            period_end=date(2020, 3, 31))
    assert refused.value.conflict and state.value in str(refused.value)


def test_step_dates_cannot_go_back_or_into_the_future():
    with pytest.raises(RuleBroken, match="before the measure's previous step"):
        domain.check_step_date("started_on", date(2020, 1, 1), since=date(2020, 2, 1), today=date(2021, 1, 1))
    with pytest.raises(RuleBroken, match="in the future"):
        domain.check_step_date("started_on", date(2021, 1, 2), since=date(2020, 2, 1), today=date(2021, 1, 1))
    domain.check_step_date("started_on", date(2020, 2, 1), since=date(2020, 2, 1), today=date(2021, 1, 1))
