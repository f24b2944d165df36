"""Events use cases: each one checks the rules, changes state and records its events in one
transaction, or changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kf.contracts import events as ev
from kf.runtime.errors import Conflict, Invalid, NotFound
from kf.runtime.service import ServiceRuntime
from services.events import domain, schemas
from services.events.domain import GatheringState
from services.events.store import (AgendaItem, Attendance, Communication, Gathering, KnownGroup, KnownMembership,
                                   KnownPerson, WorkshopInput, utc)


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


def _rule(exc: domain.RuleBroken):
    return (Conflict if exc.conflict else Invalid)(str(exc), field=exc.field)


def _online(g: Gathering) -> bool:
    return bool(g.link) and not g.place


def _agenda(g: Gathering) -> tuple:
    """The agenda as events carry it: external speakers counted, not named."""
    return tuple(ev.AgendaItemRef(title=a.title, speaker_person_id=a.speaker_person_id,
                                  external_speaker=a.external_speaker_name is not None) for a in g.agenda)


def _facts(person: KnownPerson | None) -> domain.PersonFacts | None:
    if person is None:
        return None
    return domain.PersonFacts(person.id, person.organisation_id, person.sector, person.role_kind, person.erased)


class EventsUseCases:
    """The events use cases, bound to a running service."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.rt = runtime
        self.region = runtime.settings.region

    # helpers ----------------------------------------------------------------------------------
    def _gathering(self, s: Session, gathering_id: str) -> Gathering:
        # Locked for the transaction (PostgreSQL), so two requests cannot both move it out of `scheduled`.
        g = s.get(Gathering, gathering_id, with_for_update=True)
        if g is None or g.region != self.region:
            raise NotFound(f"no gathering with id {gathering_id!r}")
        return g

    @staticmethod
    def _move(s: Session, g: Gathering, state: GatheringState, doing: str) -> None:
        """Compare-and-set out of `scheduled`: of two concurrent requests only one moves the gathering."""
        moved = s.execute(update(Gathering).where(Gathering.id == g.id, Gathering.state == GatheringState.scheduled.value)
                          .values(state=state.value).execution_options(synchronize_session=False)).rowcount
        if moved != 1:
            raise Conflict(f"the gathering is no longer scheduled and cannot be {doing}", field="gathering_id")
        g.state = state.value

    def _known_group(self, s: Session, group_id: str, field: str) -> KnownGroup:
        group = s.get(KnownGroup, group_id)
        if group is None or group.region != self.region:
            raise Invalid(f"no known group with id {group_id!r} in this region", field=field)
        return group

    def _known_person(self, s: Session, person_id: str, field: str) -> domain.PersonFacts:
        person = s.get(KnownPerson, person_id)
        if person is not None and person.region != self.region:
            person = None
        return domain.check_person(person_id, _facts(person), field)

    # gatherings -------------------------------------------------------------------------------
    def schedule(self, data: schemas.GatheringIn) -> Gathering:
        try:
            domain.check_period(data.starts_at, data.ends_at)
            domain.check_focus_areas(data.focus_areas, self.rt.region.focus_area_ids(), "focus_areas")
            for i, item in enumerate(data.agenda):
                domain.check_speaker(i, item.speaker_person_id, item.external_speaker is not None)
        except domain.RuleBroken as exc:
            raise _rule(exc) from None
        if not (data.place or data.link):
            raise Invalid("give a place, a link for an online gathering, or both", field="place")
        with self.rt.unit_of_work() as s:
            try:
                if data.hosting_group_id:
                    self._known_group(s, data.hosting_group_id, "hosting_group_id")
                for i, item in enumerate(data.agenda):
                    if item.speaker_person_id:
                        self._known_person(s, item.speaker_person_id, f"agenda.{i}.speaker_person_id")
            except domain.RuleBroken as exc:
                raise _rule(exc) from None
            g = Gathering(id=_new_id(), region=self.region, kind=data.kind.value, title=data.title,
                          starts_at=utc(data.starts_at), ends_at=utc(data.ends_at), place=data.place, link=data.link,
                          focus_areas=list(data.focus_areas), hosting_group_id=data.hosting_group_id,
                          state=GatheringState.scheduled.value, created_at=_now())
            g.agenda = [AgendaItem(id=_new_id(), position=i, title=item.title, speaker_person_id=item.speaker_person_id,
                                   external_speaker_name=item.external_speaker.name if item.external_speaker else None,
                                   external_speaker_organisation=item.external_speaker.organisation
                                   if item.external_speaker else None)
                        for i, item in enumerate(data.agenda)]
            g.attendees = []
            s.add(g)
            s.flush()
            self.rt.record(s, ev.GatheringScheduled(
                gathering_id=g.id, kind=data.kind, title=g.title, starts_at=g.starts_at, ends_at=g.ends_at,
                focus_areas=tuple(g.focus_areas), hosting_group_id=g.hosting_group_id, online=_online(g),
                agenda=_agenda(g)), g.id)
        return g

    def reschedule(self, gathering_id: str, data: schemas.RescheduleIn) -> Gathering:
        with self.rt.unit_of_work() as s:
            g = self._gathering(s, gathering_id)
            try:
                domain.check_can_reschedule(g.state)
                domain.check_period(data.starts_at, data.ends_at)
            except domain.RuleBroken as exc:
                raise _rule(exc) from None
            self._move(s, g, GatheringState.scheduled, "rescheduled")
            changes = data.model_dump(exclude_unset=True)
            g.starts_at, g.ends_at = utc(data.starts_at), utc(data.ends_at)
            venue = (g.place, g.link)
            for key in ("place", "link"):
                if key in changes:
                    setattr(g, key, changes[key])
            if not (g.place or g.link):
                raise Invalid("give a place, a link for an online gathering, or both", field="place")
            self.rt.record(s, ev.GatheringRescheduled(gathering_id=g.id, starts_at=g.starts_at, ends_at=g.ends_at), g.id)
            if (g.place, g.link) != venue:
                self.rt.record(s, ev.GatheringDetailsChanged(gathering_id=g.id, online=_online(g), agenda=_agenda(g)), g.id)
        return g

    def cancel(self, gathering_id: str, data: schemas.CancelIn) -> Gathering:
        with self.rt.unit_of_work() as s:
            g = self._gathering(s, gathering_id)
            try:
                domain.check_can_cancel(g.state)
            except domain.RuleBroken as exc:
                raise _rule(exc) from None
            self._move(s, g, GatheringState.cancelled, "cancelled")
            g.cancel_reason = data.reason
            self.rt.record(s, ev.GatheringCancelled(gathering_id=g.id, reason=data.reason), g.id)
        return g

    def hold(self, gathering_id: str, data: schemas.HoldIn) -> Gathering:
        now = _now()
        with self.rt.unit_of_work() as s:
            g = self._gathering(s, gathering_id)
            starts_at = utc(g.starts_at)
            held_on = data.held_on or starts_at.date()
            ids = [a.person_id for a in data.attendees]
            known = {p.id: _facts(p) for p in s.execute(select(KnownPerson).where(
                KnownPerson.id.in_(ids), KnownPerson.region == self.region)).scalars()}
            try:
                domain.check_can_hold(g.state, starts_at, held_on, now)
                facts = domain.check_attendees(ids, known)
            except domain.RuleBroken as exc:
                raise _rule(exc) from None
            self._move(s, g, GatheringState.held, "held")
            g.held_on = held_on
            g.attendees = [Attendance(person_id=f.person_id, position=i, role=a.role.value,
                                      organisation_id=f.organisation_id, sector=f.sector)
                           for i, (a, f) in enumerate(zip(data.attendees, facts, strict=True))]
            s.flush()
            self.rt.record(s, ev.GatheringHeld(
                gathering_id=g.id, kind=g.kind, held_on=held_on, focus_areas=tuple(g.focus_areas),
                hosting_group_id=g.hosting_group_id,
                attendees=tuple(ev.Attendee(person_id=a.person_id, role=a.role, organisation_id=a.organisation_id,
                                            sector=a.sector) for a in g.attendees)), g.id)
        return g

    def remove_agenda_item(self, gathering_id: str, item_id: str) -> None:
        """Deleting the item deletes an external speaker's name and organisation with it (no event holds them);
        `gathering.details_changed` carries the agenda left."""
        with self.rt.unit_of_work() as s:
            g = self._gathering(s, gathering_id)
            item = next((a for a in g.agenda if a.id == item_id), None)
            if item is None:
                raise NotFound(f"gathering {gathering_id!r} has no agenda item {item_id!r}")
            g.agenda.remove(item)
            self.rt.record(s, ev.GatheringDetailsChanged(gathering_id=g.id, online=_online(g), agenda=_agenda(g)), g.id)

    def record_input(self, gathering_id: str, data: schemas.WorkshopInputIn) -> WorkshopInput:
        with self.rt.unit_of_work() as s:
            g = self._gathering(s, gathering_id)
            recorded_on = data.recorded_on or g.held_on or date.today()
            try:
                domain.check_workshop(g.kind, g.state)
                if data.author_person_id:
                    self._known_person(s, data.author_person_id, "author_person_id")
                if recorded_on > date.today():
                    raise domain.RuleBroken("recorded_on cannot be in the future", "recorded_on")
            except domain.RuleBroken as exc:
                raise _rule(exc) from None
            item = WorkshopInput(id=_new_id(), gathering_id=g.id, measure_id=data.measure_id, text=data.text,
                                 author_person_id=data.author_person_id, recorded_on=recorded_on, created_at=_now())
            s.add(item)
            self.rt.record(s, ev.WorkshopInputRecorded(
                input_id=item.id, gathering_id=g.id, measure_id=item.measure_id, text=item.text,
                author_person_id=item.author_person_id, recorded_on=recorded_on), item.id)
        return item

    # communications ---------------------------------------------------------------------------
    def publish(self, data: schemas.CommunicationIn) -> Communication:
        focus = self.rt.region.focus_area_ids()
        audience = domain.AudienceRule(everyone=data.audience.everyone, group_ids=tuple(data.audience.group_ids),
                                       sectors=tuple(x.value for x in data.audience.sectors),
                                       role_kinds=tuple(x.value for x in data.audience.role_kinds),
                                       focus_areas=tuple(data.audience.focus_areas))
        with self.rt.unit_of_work() as s:
            known_groups = set(s.execute(select(KnownGroup.id).where(
                KnownGroup.id.in_(audience.group_ids), KnownGroup.region == self.region)).scalars())
            try:
                domain.check_focus_areas(data.focus_areas, focus, "focus_areas")
                domain.check_audience(audience, known_groups, focus)
            except domain.RuleBroken as exc:
                raise _rule(exc) from None
            c = Communication(id=_new_id(), region=self.region, channel=data.channel.value, title=data.title,
                              link=data.link, published_at=utc(data.published_at), focus_areas=list(data.focus_areas),
                              audience=data.audience.model_dump(mode="json"), recipients=data.recipients,
                              views=data.views, created_at=_now())
            s.add(c)
            self.rt.record(s, ev.CommunicationPublished(
                communication_id=c.id, channel=data.channel, title=c.title, link=c.link, published_at=c.published_at,
                focus_areas=tuple(c.focus_areas), audience=ev.Audience(**data.audience.model_dump()),
                recipients=c.recipients, views=c.views), c.id)
        return c

    def report_reach(self, communication_id: str, data: schemas.ReachIn) -> Communication:
        if data.recipients is None and data.views is None:
            raise Invalid("give recipients, views or both", field="recipients")
        reported_at = utc(data.reported_at) if data.reported_at else _now()
        with self.rt.unit_of_work() as s:
            c = s.get(Communication, communication_id)
            if c is None or c.region != self.region:
                raise NotFound(f"no communication with id {communication_id!r}")
            if reported_at < utc(c.published_at):
                raise Invalid("reported_at is before the communication was published", field="reported_at")
            c.recipients = data.recipients if data.recipients is not None else c.recipients
            c.views = data.views if data.views is not None else c.views
            c.reach_reported_at = reported_at
            self.rt.record(s, ev.CommunicationReachReported(communication_id=c.id, recipients=c.recipients,
                                                            views=c.views, reported_at=reported_at), c.id)
        return c

    # the targeted feed ------------------------------------------------------------------------
    def feed(self, person_id: str, as_of: datetime | None, days: int) -> schemas.FeedOut:
        as_of = utc(as_of) if as_of else _now()
        with self.rt.db.transaction() as s:
            person = s.get(KnownPerson, person_id)
            if person is None or person.region != self.region:
                raise NotFound(f"no known person with id {person_id!r}")
            if person.erased:
                raise NotFound(f"person {person_id!r} has been erased")
            group_ids = set(s.execute(select(KnownMembership.group_id).where(
                KnownMembership.person_id == person_id, KnownMembership.left_on.is_(None))).scalars())
            areas = {a for a in s.execute(select(KnownGroup.focus_area).where(KnownGroup.id.in_(group_ids))).scalars() if a}
            profile = domain.Profile(person_id, person.sector, person.role_kind, frozenset(group_ids), frozenset(areas))
            gatherings = [domain.GatheringFacts(
                g.id, g.kind, g.state, utc(g.starts_at), tuple(g.focus_areas), g.hosting_group_id,
                tuple(a.speaker_person_id for a in g.agenda if a.speaker_person_id),
                extra={"title": g.title, "kind": g.kind, "place": g.place, "link": g.link})
                for g in s.execute(select(Gathering).where(
                    Gathering.region == self.region, Gathering.state == GatheringState.scheduled.value,
                    Gathering.starts_at > as_of)).scalars()]
            window_start = as_of - timedelta(days=days)
            communications = [domain.CommunicationFacts(
                c.id, utc(c.published_at), domain.AudienceRule.from_dict(c.audience),
                extra={"title": c.title, "kind": c.channel, "link": c.link})
                for c in s.execute(select(Communication).where(
                    Communication.region == self.region, Communication.published_at >= window_start,
                    Communication.published_at <= as_of)).scalars()]
        items = domain.build_feed(profile, gatherings, communications, as_of, days)
        return schemas.FeedOut(person_id=person_id, as_of=as_of, items=[
            schemas.FeedItemOut(type=i.type, id=i.id, at=i.at, matched_because=list(i.matched_because), **i.extra)
            for i in items])
