"""Pure rules of the events service: a gathering's lifecycle, attendance, audiences and the
targeted feed (who should see what, and why). No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from kf.contracts.events import GatheringKind


class GatheringState(StrEnum):
    scheduled = "scheduled"
    held = "held"
    cancelled = "cancelled"


class RuleBroken(ValueError):
    """A rule refused the change; `field` names what was wrong, `conflict` marks a state clash (409)."""

    def __init__(self, message: str, field: str | None = None, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.conflict = conflict


# --- gatherings ----------------------------------------------------------------------------------

def check_period(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise RuleBroken(f"ends_at {ends_at.isoformat()} must be after starts_at {starts_at.isoformat()}", "ends_at")


def check_focus_areas(areas: Iterable[str], known: set[str], field_name: str) -> None:
    for i, area in enumerate(areas):
        if area not in known:
            raise RuleBroken(f"unknown focus area {area!r}; this region has {sorted(known)}", f"{field_name}.{i}")


def check_speaker(index: int, speaker_person_id: str | None, has_external: bool) -> None:
    if speaker_person_id is not None and has_external:
        raise RuleBroken("an agenda item has either a member speaker (speaker_person_id) or an external speaker, not both",
                         f"agenda.{index}.external_speaker")


def _still_scheduled(state: str, doing: str) -> None:
    if state == GatheringState.cancelled:
        raise RuleBroken(f"the gathering was cancelled and cannot be {doing}", "gathering_id", conflict=True)
    if state == GatheringState.held:
        raise RuleBroken(f"the gathering was already held and cannot be {doing}", "gathering_id", conflict=True)


def check_can_reschedule(state: str) -> None:
    _still_scheduled(state, "rescheduled")


def check_can_cancel(state: str) -> None:
    _still_scheduled(state, "cancelled")


def check_can_hold(state: str, starts_at: datetime, held_on: date, now: datetime) -> None:
    _still_scheduled(state, "held")
    if starts_at > now:
        raise RuleBroken(f"the gathering starts at {starts_at.isoformat()} and cannot be held before it starts",
                         "gathering_id", conflict=True)
    if held_on < starts_at.date():
        raise RuleBroken(f"held_on {held_on.isoformat()} is before the gathering starts ({starts_at.date().isoformat()})",
                         "held_on")
    if held_on > now.date():
        raise RuleBroken("held_on cannot be in the future", "held_on")


@dataclass(frozen=True)
class PersonFacts:
    """What the read model knows of a person: enough to validate and to describe an attendee."""

    person_id: str
    organisation_id: str | None
    sector: str | None
    role_kind: str | None = None
    erased: bool = False


def check_person(person_id: str, facts: PersonFacts | None, field_name: str) -> PersonFacts:
    """A person may be named only when the membership service has told us about them and they are not erased."""
    if facts is None or facts.organisation_id is None or facts.sector is None:
        raise RuleBroken(f"no known person with id {person_id!r} in this region (people come from the membership "
                         "service; a just-registered person may take a moment to arrive)", field_name)
    if facts.erased:
        raise RuleBroken(f"person {person_id!r} has been erased", field_name)
    return facts


def check_attendees(person_ids: Sequence[str], known: dict[str, PersonFacts]) -> list[PersonFacts]:
    """Every attendee known, live and listed once; returns their facts in the given order."""
    seen: dict[str, int] = {}
    facts = []
    for i, person_id in enumerate(person_ids):
        if person_id in seen:
            raise RuleBroken(f"person {person_id!r} is listed twice (also at attendees.{seen[person_id]})",
                             f"attendees.{i}.person_id")
        seen[person_id] = i
        facts.append(check_person(person_id, known.get(person_id), f"attendees.{i}.person_id"))
    return facts


def check_workshop(kind: str, state: str) -> None:
    if kind != GatheringKind.workshop:
        raise RuleBroken(f"inputs are recorded for workshops; this gathering is a {kind}", "gathering_id")
    if state == GatheringState.cancelled:
        raise RuleBroken("the workshop was cancelled", "gathering_id", conflict=True)


# --- audiences -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AudienceRule:
    everyone: bool = False
    group_ids: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    role_kinds: tuple[str, ...] = ()
    focus_areas: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, raw: dict) -> "AudienceRule":
        return cls(everyone=bool(raw.get("everyone")), group_ids=tuple(raw.get("group_ids") or ()),
                   sectors=tuple(raw.get("sectors") or ()), role_kinds=tuple(raw.get("role_kinds") or ()),
                   focus_areas=tuple(raw.get("focus_areas") or ()))


def check_audience(audience: AudienceRule, known_groups: set[str], known_focus_areas: set[str]) -> None:
    if not (audience.everyone or audience.group_ids or audience.sectors or audience.role_kinds or audience.focus_areas):
        raise RuleBroken("the audience names nobody: set everyone, or give groups, sectors, role kinds or focus areas",
                         "audience")
    for i, group_id in enumerate(audience.group_ids):
        if group_id not in known_groups:
            raise RuleBroken(f"no known group with id {group_id!r} in this region", f"audience.group_ids.{i}")
    check_focus_areas(audience.focus_areas, known_focus_areas, "audience.focus_areas")


# --- the targeted feed ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Profile:
    """Who a person is to the forum: their sector, role and active groups with those groups' focus areas."""

    person_id: str
    sector: str | None
    role_kind: str | None
    group_ids: frozenset[str] = frozenset()
    focus_areas: frozenset[str] = frozenset()


@dataclass(frozen=True)
class GatheringFacts:
    id: str
    kind: str
    state: str
    starts_at: datetime
    focus_areas: tuple[str, ...] = ()
    hosting_group_id: str | None = None
    speaker_person_ids: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class CommunicationFacts:
    id: str
    published_at: datetime
    audience: AudienceRule
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class FeedItem:
    type: str  # "gathering" or "communication"
    id: str
    at: datetime
    matched_because: tuple[str, ...]
    extra: dict = field(default_factory=dict, compare=False)


# Common gatherings (felles-samlinger) are the whole forum's meetings: every member is invited.
OPEN_TO_EVERYONE = frozenset({GatheringKind.common_gathering.value})


def gathering_reasons(profile: Profile, gathering: GatheringFacts) -> list[str]:
    reasons = []
    if gathering.kind in OPEN_TO_EVERYONE and profile.group_ids:
        reasons.append("everyone")
    if profile.person_id in gathering.speaker_person_ids:
        reasons.append("speaker")
    if gathering.hosting_group_id is not None and gathering.hosting_group_id in profile.group_ids:
        reasons.append(f"group:{gathering.hosting_group_id}")
    reasons += [f"focus_area:{a}" for a in gathering.focus_areas if a in profile.focus_areas]
    return reasons


def communication_reasons(profile: Profile, audience: AudienceRule) -> list[str]:
    reasons = []
    if audience.everyone:
        reasons.append("everyone")
    reasons += [f"group:{g}" for g in audience.group_ids if g in profile.group_ids]
    if profile.sector is not None and profile.sector in audience.sectors:
        reasons.append(f"sector:{profile.sector}")
    if profile.role_kind is not None and profile.role_kind in audience.role_kinds:
        reasons.append(f"role_kind:{profile.role_kind}")
    reasons += [f"focus_area:{a}" for a in audience.focus_areas if a in profile.focus_areas]
    return reasons


def is_upcoming(state: str, starts_at: datetime, as_of: datetime) -> bool:
    return state == GatheringState.scheduled and starts_at > as_of


def is_recent(published_at: datetime, as_of: datetime, days: int) -> bool:
    return as_of - timedelta(days=days) <= published_at <= as_of


def build_feed(profile: Profile, gatherings: Iterable[GatheringFacts], communications: Iterable[CommunicationFacts],
               as_of: datetime, days: int) -> list[FeedItem]:
    """Upcoming gatherings and communications of the last `days` days that concern this person,
    newest first, each with why it matched."""
    items = []
    for g in gatherings:
        if not is_upcoming(g.state, g.starts_at, as_of):
            continue
        reasons = gathering_reasons(profile, g)
        if reasons:
            items.append(FeedItem("gathering", g.id, g.starts_at, tuple(reasons), g.extra))
    for c in communications:
        if not is_recent(c.published_at, as_of, days):
            continue
        reasons = communication_reasons(profile, c.audience)
        if reasons:
            items.append(FeedItem("communication", c.id, c.published_at, tuple(reasons), c.extra))
    return sorted(items, key=lambda item: (item.at, item.id), reverse=True)
