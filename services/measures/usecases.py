"""Measures use cases: each one checks the rules, changes state, records its events (with the
measure's history and the followers' notifications) in one transaction, or changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from kf.contracts import measures as ev
from kf.contracts.catalog import DomainEvent
from kf.contracts.measures import MeasureState
from kf.runtime.errors import Conflict, Invalid, NotFound
from kf.runtime.service import ServiceRuntime
from services.measures import domain, schemas
from services.measures.domain import Action
from services.measures.store import (EffectReport, ExpectedEffect, Follower, HistoryEntry, Measure, MeasureInput,
                                     Notification, followers_of)


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


def _rule(exc: domain.RuleBroken) -> Exception:
    return (Conflict if exc.conflict else Invalid)(str(exc), field=exc.field, **exc.details)


class MeasureUseCases:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.rt = runtime
        self.region = runtime.settings.region

    # proposing ----------------------------------------------------------------------------
    def propose(self, data: schemas.MeasureIn) -> Measure:
        today = date.today()
        proposed_on = data.proposed_on or today
        known = self.rt.region.focus_area_ids()
        if data.focus_area not in known:
            raise Invalid(f"unknown focus area {data.focus_area!r}; this region has {sorted(known)}", field="focus_area")
        if proposed_on > today:
            raise Invalid(f"proposed_on {proposed_on.isoformat()} is in the future", field="proposed_on")
        partners = list(dict.fromkeys(data.partner_organisation_ids))
        with self.rt.unit_of_work() as s:
            m = Measure(id=_new_id(), region=self.region, title=data.title, description=data.description,
                        focus_area=data.focus_area, proposing_group_id=data.proposing_group_id,
                        contact_person_id=data.contact_person_id, partner_organisation_ids=partners,
                        state=MeasureState.proposed.value, proposed_on=proposed_on, state_since=proposed_on,
                        created_at=_now(), updated_at=_now())
            s.add(m)
            s.flush()
            self._record(s, m, ev.MeasureProposed(
                measure_id=m.id, title=m.title, focus_area=m.focus_area, proposing_group_id=m.proposing_group_id,
                contact_person_id=m.contact_person_id, partner_organisation_ids=tuple(partners), proposed_on=proposed_on))
        return m

    # workshop input -----------------------------------------------------------------------
    def record_input(self, measure_id: str, data: schemas.InputIn) -> MeasureInput:
        """Input entered through the API (a workshop held outside the events service, say)."""
        recorded_on = data.recorded_on or date.today()
        if recorded_on > date.today():
            raise Invalid(f"recorded_on {recorded_on.isoformat()} is in the future", field="recorded_on")
        with self._changing() as s:
            m = self._measure(s, measure_id)
            return self.attach_input(s, m, input_id=_new_id(), gathering_id=data.gathering_id, text=data.text,
                                     author_person_id=data.author_person_id, recorded_on=recorded_on, origin="api")

    def attach_input(self, s: Session, m: Measure, *, input_id: str, gathering_id: str | None, text: str,
                     author_person_id: str | None, recorded_on: date, origin: str) -> MeasureInput:
        """Attach input to a measure inside the caller's transaction; a proposed measure goes into review."""
        item = MeasureInput(id=input_id, measure_id=m.id, gathering_id=gathering_id, text=text,
                            author_person_id=author_person_id, recorded_on=recorded_on, origin=origin, created_at=_now())
        s.add(item)
        before = MeasureState(m.state)
        after = domain.state_after_input(before)
        if after != before:
            m.state = after.value
            m.state_since = max(recorded_on, m.state_since)
            m.updated_at = _now()
        s.flush()
        envelope = self._record(s, m, ev.MeasureInputReceived(measure_id=m.id, input_id=input_id,
                                                              gathering_id=gathering_id, received_on=recorded_on))
        if after != before:
            self._notify(s, m, "status_changed", envelope.id, f"«{m.title}» is now {after.value}: workshop input received")
        return item

    # lifecycle ----------------------------------------------------------------------------
    def revise(self, measure_id: str, data: schemas.ReviseIn) -> Measure:
        with self._changing() as s:
            m = self._measure(s, measure_id)
            when = self._step(m, Action.revise, "revised_on", data.revised_on)
            changes = data.model_dump(exclude_unset=True, exclude={"revised_on"})
            if "title" in changes and changes["title"] is None:
                raise Invalid("title cannot be empty", field="title")
            if "partner_organisation_ids" in changes:
                changes["partner_organisation_ids"] = list(dict.fromkeys(changes["partner_organisation_ids"] or []))
            for key, value in changes.items():
                setattr(m, key, value)
            self._move(m, MeasureState.revised, when)
            envelope = self._record(s, m, ev.MeasureRevised(
                measure_id=m.id, title=m.title, focus_area=m.focus_area,
                partner_organisation_ids=tuple(m.partner_organisation_ids), revised_on=when))
            self._notify(s, m, "status_changed", envelope.id, f"«{m.title}» was revised")
        return m

    def decide(self, measure_id: str, data: schemas.DecisionIn, *, adopt: bool) -> Measure:
        with self._changing() as s:
            m = self._measure(s, measure_id)
            action = Action.adopt if adopt else Action.reject
            when = self._step(m, action, "decided_on", data.decided_on)
            target = domain.next_state(MeasureState(m.state), action)
            m.decided_by, m.decided_on, m.decision_rationale = data.decided_by, when, data.rationale
            self._move(m, target, when)
            model = ev.MeasureAdopted if adopt else ev.MeasureRejected
            envelope = self._record(s, m, model(measure_id=m.id, focus_area=m.focus_area, decided_on=when,
                                                decided_by=data.decided_by, rationale=data.rationale))
            self._notify(s, m, "status_changed", envelope.id,
                         f"«{m.title}» was {target.value} by {data.decided_by} on {when.isoformat()}")
        return m

    def accept_ownership(self, measure_id: str, data: schemas.OwnershipIn) -> Measure:
        with self._changing() as s:
            m = self._measure(s, measure_id)
            when = self._step(m, Action.accept_ownership, "accepted_on", data.accepted_on)
            if not data.mandate_holder_person_id:
                raise Invalid("a named mandate holder is required: ownership is accepted with a mandate from the "
                              "organisation's own line (forankring)", field="mandate_holder_person_id")
            m.owner_organisation_id = data.organisation_id
            m.mandate_holder_person_id = data.mandate_holder_person_id
            m.ownership_accepted_on = when
            self._move(m, MeasureState.anchored, when)
            envelope = self._record(s, m, ev.MeasureOwnershipAccepted(
                measure_id=m.id, focus_area=m.focus_area, organisation_id=data.organisation_id,
                mandate_holder_person_id=data.mandate_holder_person_id, accepted_on=when))
            self._notify(s, m, "status_changed", envelope.id, f"«{m.title}» has an owner and is now anchored")
        return m

    def start(self, measure_id: str, data: schemas.StartIn) -> Measure:
        with self._changing() as s:
            m = self._measure(s, measure_id)
            when = self._step(m, Action.start, "started_on", data.started_on)
            m.started_on = when
            self._move(m, MeasureState.in_progress, when)
            envelope = self._record(s, m, ev.MeasureStarted(measure_id=m.id, focus_area=m.focus_area, started_on=when))
            self._notify(s, m, "status_changed", envelope.id, f"«{m.title}» started on {when.isoformat()}")
        return m

    def complete(self, measure_id: str, data: schemas.CompleteIn) -> Measure:
        with self._changing() as s:
            m = self._measure(s, measure_id)
            when = self._step(m, Action.complete, "completed_on", data.completed_on)
            m.completed_on, m.summary = when, data.summary
            self._move(m, MeasureState.completed, when)
            envelope = self._record(s, m, ev.MeasureCompleted(measure_id=m.id, focus_area=m.focus_area,
                                                              completed_on=when, summary=data.summary))
            self._notify(s, m, "status_changed", envelope.id, f"«{m.title}» was completed on {when.isoformat()}")
        return m

    def stop(self, measure_id: str, data: schemas.StopIn) -> Measure:
        with self._changing() as s:
            m = self._measure(s, measure_id)
            when = self._step(m, Action.stop, "stopped_on", data.stopped_on)
            m.stopped_on, m.stop_reason = when, data.reason
            self._move(m, MeasureState.stopped, when)
            envelope = self._record(s, m, ev.MeasureStopped(measure_id=m.id, focus_area=m.focus_area, stopped_on=when,
                                                            reason=data.reason))
            self._notify(s, m, "status_changed", envelope.id, f"«{m.title}» was stopped: {data.reason}")
        return m

    # effects ------------------------------------------------------------------------------
    def expect_effect(self, measure_id: str, data: schemas.ExpectedEffectIn) -> ExpectedEffect:
        indicator = self._indicator(data.indicator)
        unit = data.unit or indicator.unit
        if unit != indicator.unit:
            raise Invalid(f"indicator {indicator.id} is counted in {indicator.unit!r}, not {unit!r}", field="unit")
        try:
            domain.check_expectation(kind=indicator.kind, baseline=data.baseline, target=data.target,
                                     baseline_date=data.baseline_date, target_date=data.target_date)
        except domain.RuleBroken as exc:
            raise _rule(exc) from None
        with self._changing() as s:
            m = self._measure(s, measure_id)
            if MeasureState(m.state) not in domain.EXPECTATION_STATES:
                raise Conflict(f"the measure is {m.state}; expected effects can be set only before it ends",
                               field="measure_id", current_state=m.state)
            if s.execute(select(ExpectedEffect.id).where(ExpectedEffect.measure_id == m.id,
                                                         ExpectedEffect.indicator == indicator.id)).first():
                raise Conflict(f"this measure already has an expected effect on {indicator.id}", field="indicator")
            self._touch(m)
            effect = ExpectedEffect(id=_new_id(), measure_id=m.id, indicator=indicator.id, unit=unit,
                                    baseline=data.baseline, baseline_date=data.baseline_date, target=data.target,
                                    target_date=data.target_date, created_at=_now())
            s.add(effect)
            s.flush()
            self._record(s, m, ev.MeasureEffectExpected(
                measure_id=m.id, expectation_id=effect.id, focus_area=m.focus_area, indicator=indicator.id, unit=unit,
                baseline=data.baseline, baseline_date=data.baseline_date, target=data.target,
                target_date=data.target_date))
        return effect

    def report_effect(self, measure_id: str, data: schemas.EffectReportIn) -> EffectReport:
        indicator = self._indicator(data.indicator)
        with self._changing() as s:
            m = self._measure(s, measure_id)
            try:
                domain.check_report(state=MeasureState(m.state), kind=indicator.kind, value=data.value,
                                    period_start=data.period_start, period_end=data.period_end)
                if data.supersedes_report_id:
                    original = s.get(EffectReport, data.supersedes_report_id)
                    taken = original is not None and s.execute(select(EffectReport.id).where(
                        EffectReport.supersedes_report_id == original.id)).first() is not None
                    domain.check_correction(original_measure_id=original and original.measure_id, measure_id=m.id,
                                            original_indicator=original and original.indicator,
                                            indicator=indicator.id, superseded_already=taken,
                                            original_id=data.supersedes_report_id)
            except domain.RuleBroken as exc:
                raise _rule(exc) from None
            self._touch(m)
            report = EffectReport(id=_new_id(), measure_id=m.id, indicator=indicator.id, value=data.value,
                                  period_start=data.period_start, period_end=data.period_end, source=data.source,
                                  reported_by_person_id=data.reported_by_person_id,
                                  supersedes_report_id=data.supersedes_report_id, created_at=_now())
            s.add(report)
            s.flush()
            envelope = self._record(s, m, ev.MeasureEffectReported(
                measure_id=m.id, report_id=report.id, focus_area=m.focus_area, indicator=indicator.id,
                value=data.value, period_start=data.period_start, period_end=data.period_end, source=data.source,
                reported_by_person_id=data.reported_by_person_id, supersedes_report_id=data.supersedes_report_id))
            what = "Corrected effect" if data.supersedes_report_id else "Effect"
            self._notify(s, m, "effect_reported", envelope.id,
                         f"{what} reported on «{m.title}»: {indicator.name_en} {data.value:g} {indicator.unit} for "
                         f"{data.period_start.isoformat()}–{data.period_end.isoformat()} ({data.source})")
        return report

    # followers ----------------------------------------------------------------------------
    def follow(self, measure_id: str, data: schemas.FollowIn) -> tuple[Follower, bool]:
        """Follow a measure; following twice is not an error (returns the existing follow, created=False)."""
        with self._changing() as s:
            m = self._measure(s, measure_id)
            existing = s.get(Follower, (m.id, data.person_id))
            if existing is not None:
                return existing, False
            follower = Follower(measure_id=m.id, person_id=data.person_id, since=_now())
            s.add(follower)
        return follower, True

    def unfollow(self, measure_id: str, person_id: str) -> None:
        with self._changing() as s:
            m = self._measure(s, measure_id)
            follower = s.get(Follower, (m.id, person_id))
            if follower is None:
                raise NotFound(f"person {person_id!r} does not follow this measure")
            s.delete(follower)

    # helpers ------------------------------------------------------------------------------
    def _changing(self):
        return _Changing(self.rt)

    def _measure(self, s: Session, measure_id: str) -> Measure:
        m = s.execute(select(Measure).where(Measure.id == measure_id).with_for_update()).scalar_one_or_none()
        if m is None or m.region != self.region:
            raise NotFound(f"no measure with id {measure_id!r}")
        return m

    def _indicator(self, indicator_id: str):
        indicator = self.rt.region.indicator(indicator_id)
        if indicator is None:
            known = sorted(i.id for i in self.rt.region.indicators)
            raise Invalid(f"unknown indicator {indicator_id!r}; this region has {known}", field="indicator")
        return indicator

    @staticmethod
    def _allowed(m: Measure, action: Action) -> bool:
        try:
            domain.next_state(MeasureState(m.state), action)
        except domain.RuleBroken as exc:
            raise _rule(exc) from None
        return True

    def _step(self, m: Measure, action: Action, field: str, when: date | None) -> date:
        """Check the transition is allowed and its date sensible; return the date."""
        self._allowed(m, action)
        when = when or date.today()
        try:
            domain.check_step_date(field, when, since=m.state_since, today=date.today())
        except domain.RuleBroken as exc:
            raise _rule(exc) from None
        return when

    @staticmethod
    def _move(m: Measure, target: MeasureState, when: date) -> None:
        m.state = target.value
        m.state_since = when
        m.updated_at = _now()

    @staticmethod
    def _touch(m: Measure) -> None:
        """Write the measure's row for a change that only adds rows but depends on the measure's state, so the
        version check applies: of two concurrent changes that read the same state, the later one fails (409).

        FOR UPDATE does not cover this on SQLite: it is a no-op there, and pysqlite runs the SELECT before the
        write transaction begins, so a completion could commit between an effect report's check and its insert."""
        m.updated_at = _now()

    def _record(self, s: Session, m: Measure, event: DomainEvent):
        envelope = self.rt.record(s, event, m.id)
        s.add(HistoryEntry(measure_id=m.id, event_id=envelope.id, event_type=event.short_name(),
                           occurred_at=envelope.time, data=envelope.data))
        return envelope

    def _notify(self, s: Session, m: Measure, kind: str, event_id: str, message: str) -> None:
        """One notification per follower, in the transaction of the change it reports."""
        now = _now()
        for person_id in followers_of(s, m.id):
            s.add(Notification(region=self.region, person_id=person_id, measure_id=m.id, kind=kind, event_id=event_id,
                               message=message, created_at=now))


class _Changing:
    """A unit of work whose lost races (a concurrent change of the same measure) answer 409."""

    def __init__(self, rt: ServiceRuntime) -> None:
        self._cm = rt.unit_of_work()

    def __enter__(self) -> Session:
        return self._cm.__enter__()

    def __exit__(self, exc_type, exc, tb):
        lost = "a concurrent request changed this measure first; nothing was changed, reload and try again"
        try:
            suppressed = self._cm.__exit__(exc_type, exc, tb)
        except (StaleDataError, IntegrityError):
            raise Conflict(lost, field="measure_id") from None
        if exc_type is not None and issubclass(exc_type, (StaleDataError, IntegrityError)):
            raise Conflict(lost, field="measure_id") from None
        return suppressed
