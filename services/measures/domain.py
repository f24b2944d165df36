"""Pure measure rules: the lifecycle state machine and the checks on effects and reports. No I/O.

The lifecycle follows the forum's own description: a group proposes, a common workshop gives
input, the proposal is refined, the steering group decides, an organisation takes ownership with
a mandate from its own line, the measure is carried out, effects are reported.

Decisions taken here (and rendered into docs/measures.md):
- A proposal cannot be adopted directly: it needs workshop input (`in_review`) and at least one
  revision. Workshop input may reveal that a proposal is not viable, so it may be rejected from
  `in_review` as well as from `revised`.
- A revised measure may be revised again before the decision.
- An adopted or anchored measure may be stopped (nobody took it on, or the owner withdrew)
  before it starts; stopping always needs a reason.
- Workshop input attaches to a measure in any state; only a `proposed` measure changes state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kf.contracts.measures import MeasureState as S


class Action(StrEnum):
    receive_input = "receive_input"
    revise = "revise"
    adopt = "adopt"
    reject = "reject"
    accept_ownership = "accept_ownership"
    start = "start"
    complete = "complete"
    stop = "stop"


@dataclass(frozen=True)
class Transition:
    source: S
    action: Action
    target: S


# The lifecycle, listed once: every other (state, action) pair is refused.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.proposed, Action.receive_input, S.in_review),
    Transition(S.in_review, Action.revise, S.revised),
    Transition(S.in_review, Action.reject, S.rejected),
    Transition(S.revised, Action.revise, S.revised),
    Transition(S.revised, Action.adopt, S.adopted),
    Transition(S.revised, Action.reject, S.rejected),
    Transition(S.adopted, Action.accept_ownership, S.anchored),
    Transition(S.adopted, Action.stop, S.stopped),
    Transition(S.anchored, Action.start, S.in_progress),
    Transition(S.anchored, Action.stop, S.stopped),
    Transition(S.in_progress, Action.complete, S.completed),
    Transition(S.in_progress, Action.stop, S.stopped),
)

INITIAL_STATE = S.proposed
FINAL_STATES = frozenset(s for s in S if not any(t.source == s for t in TRANSITIONS))
# Expected effects can be set while the measure is still alive; reports only while it runs.
EXPECTATION_STATES = frozenset(S) - FINAL_STATES
REPORT_STATES = frozenset({S.in_progress})


class RuleBroken(ValueError):
    """A measure rule refused the change; `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None, *, conflict: bool = False, **details: object) -> None:
        super().__init__(message)
        self.field = field
        self.conflict = conflict
        self.details = details


def allowed_actions(state: S) -> list[Action]:
    return [t.action for t in TRANSITIONS if t.source == state]


def allowed_next_states(state: S) -> list[S]:
    """The states a measure in `state` may move to, in lifecycle order, without repeats."""
    targets = {t.target for t in TRANSITIONS if t.source == state}
    return [s for s in S if s in targets]


def next_state(state: S, action: Action) -> S:
    """Where `action` takes a measure in `state`, or a conflict naming the allowed next states."""
    for t in TRANSITIONS:
        if t.source == state and t.action == action:
            return t.target
    allowed = allowed_next_states(state)
    options = ", ".join(f"{t.action.value} -> {t.target.value}" for t in TRANSITIONS if t.source == state)
    raise RuleBroken(
        f"cannot {action.value.replace('_', ' ')} a measure that is {state.value}; "
        + (f"allowed from {state.value}: {options}" if options else f"{state.value} is a final state"),
        "state", conflict=True, current_state=state.value, allowed_next_states=[s.value for s in allowed])


def state_after_input(state: S) -> S:
    """Workshop input is attached in every state; it moves only a proposed measure into review."""
    return S.in_review if state == S.proposed else state


def mermaid_state_diagram() -> str:
    """The lifecycle as a Mermaid state diagram, rendered from TRANSITIONS."""
    lines = ["stateDiagram-v2", f"    [*] --> {INITIAL_STATE.value}"]
    lines += [f"    {t.source.value} --> {t.target.value}: {t.action.value}" for t in TRANSITIONS]
    lines += [f"    {s.value} --> [*]" for s in S if s in FINAL_STATES]
    return "\n".join(lines)


def check_step_date(field: str, when: date, *, since: date, today: date) -> None:
    """A lifecycle step happens on or after the previous one, and not in the future."""
    if when > today:
        raise RuleBroken(f"{field} {when.isoformat()} is in the future", field)
    if when < since:
        raise RuleBroken(f"{field} {when.isoformat()} is before the measure's previous step on {since.isoformat()}", field)


# effects ----------------------------------------------------------------------------------
def check_expectation(*, kind: str, baseline: float, target: float, baseline_date: date, target_date: date) -> None:
    if kind == "count":
        if target < 0:
            raise RuleBroken(f"target must be zero or more for a count indicator, got {target:g}", "target")
        if baseline < 0:
            raise RuleBroken(f"baseline must be zero or more for a count indicator, got {baseline:g}", "baseline")
    if target_date < baseline_date:
        raise RuleBroken(f"target_date {target_date.isoformat()} is before baseline_date {baseline_date.isoformat()}",
                         "target_date")


def check_report(*, state: S, kind: str, value: float, period_start: date, period_end: date) -> None:
    if state not in REPORT_STATES:
        raise RuleBroken(f"effects can be reported only for a measure in progress; this one is {state.value}",
                         "measure_id", conflict=True, current_state=state.value)
    if kind == "count" and value < 0:
        raise RuleBroken(f"value must be zero or more for a count indicator, got {value:g}", "value")
    if period_end < period_start:
        raise RuleBroken(f"period_end {period_end.isoformat()} is before period_start {period_start.isoformat()}",
                         "period_end")


def check_correction(*, original_measure_id: str | None, measure_id: str, original_indicator: str | None,
                     indicator: str, superseded_already: bool, original_id: str) -> None:
    if original_measure_id is None or original_measure_id != measure_id:
        raise RuleBroken(f"no effect report {original_id!r} on this measure to supersede", "supersedes_report_id")
    if original_indicator != indicator:
        raise RuleBroken(f"a correction must keep the indicator of the report it supersedes ({original_indicator})",
                         "indicator")
    if superseded_already:
        raise RuleBroken(f"report {original_id!r} has already been superseded; correct the newest report instead",
                         "supersedes_report_id", conflict=True)
