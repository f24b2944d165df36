"""Event handlers: each upserts the facts an event states into the fact tables (order-independent, idempotent)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

from sqlalchemy.orm import Session

from kf.contracts import events as ev
from kf.contracts import measures as ms
from kf.contracts import membership as mb
from kf.contracts.catalog import DomainEvent
from kf.contracts.envelope import CloudEvent, parse_data
from services.metrics import store as t
from services.metrics.pairs import replace_ties
from services.metrics.store import areas_text, merge, replace_children, stamp, version

Handler = Callable[[Session, CloudEvent, DomainEvent], None]


def _key(env: CloudEvent, **ids: str) -> dict:
    return {"region": env.region, **ids}


# membership ------------------------------------------------------------------------------------
def organisation(s: Session, env: CloudEvent, e: mb.OrganisationRegistered | mb.OrganisationUpdated) -> None:
    merge(s, t.organisations, _key(env, organisation_id=e.organisation_id), {"sector": e.sector.value},
          group="org", ver=version(env))


def person(s: Session, env: CloudEvent, e: mb.PersonRegistered | mb.PersonUpdated) -> None:
    merge(s, t.people, _key(env, person_id=e.person_id),
          {"organisation_id": e.organisation_id, "sector": e.sector.value, "role_kind": e.role_kind.value},
          group="person", ver=version(env))


def group(s: Session, env: CloudEvent, e: mb.GroupFormed | mb.GroupUpdated) -> None:
    merge(s, t.groups, _key(env, group_id=e.group_id), {"kind": e.kind.value, "focus_area": e.focus_area},
          group="group", ver=version(env))


def member_joined(s: Session, env: CloudEvent, e: mb.MemberJoined) -> None:
    merge(s, t.memberships, _key(env, membership_id=e.membership_id),
          {"group_id": e.group_id, "person_id": e.person_id, "organisation_id": e.organisation_id,
           "sector": e.sector.value, "role_kind": e.role_kind.value, "joined_on": e.joined_on},
          group="joined", ver=version(env))


def member_left(s: Session, env: CloudEvent, e: mb.MemberLeft) -> None:
    merge(s, t.memberships, _key(env, membership_id=e.membership_id), {"left_on": e.left_on},
          group="left", ver=version(env))


def mandate_confirmed(s: Session, env: CloudEvent, e: mb.MandateConfirmed) -> None:
    merge(s, t.memberships, _key(env, membership_id=e.membership_id), {"mandate_on": e.confirmed_on},
          group="mandate", ver=version(env))


# events (gatherings and communications) -------------------------------------------------------
def gathering_held(s: Session, env: CloudEvent, e: ev.GatheringHeld) -> None:
    areas = areas_text(e.focus_areas)
    people = {a.person_id: a for a in e.attendees}
    changed = merge(s, t.gatherings, _key(env, gathering_id=e.gathering_id),
                    {"kind": e.kind.value, "held_on": e.held_on, "focus_areas": areas, "attendees": len(people)},
                    group="held", ver=version(env))
    if not changed:
        return  # a duplicate or an older report of this gathering
    replace_children(s, t.attendances, _key(env, gathering_id=e.gathering_id), [
        {**_key(env, gathering_id=e.gathering_id, person_id=a.person_id), "organisation_id": a.organisation_id,
         "sector": a.sector.value, "role": a.role.value, "held_on": e.held_on} for a in people.values()])
    orgs = {a.organisation_id: a.sector.value for a in people.values()}
    replace_ties(s, _key(env, origin="gathering", source_id=e.gathering_id), [
        {**_key(env, origin="gathering", source_id=e.gathering_id), "org_a": a, "org_b": b, "tie_on": e.held_on,
         "sector_a": orgs[a], "sector_b": orgs[b], "focus_areas": areas}
        for a, b in combinations(sorted(orgs), 2)])


def communication_published(s: Session, env: CloudEvent, e: ev.CommunicationPublished) -> None:
    key = _key(env, communication_id=e.communication_id)
    merge(s, t.communications, key, {"channel": e.channel.value, "published_on": e.published_at.date(),
                                     "focus_areas": areas_text(e.focus_areas)}, group="published", ver=version(env))
    merge(s, t.communications, key, {"recipients": e.recipients, "views": e.views}, group="reach",
          ver=stamp(e.published_at, env.id))


def communication_reach(s: Session, env: CloudEvent, e: ev.CommunicationReachReported) -> None:
    merge(s, t.communications, _key(env, communication_id=e.communication_id),
          {"recipients": e.recipients, "views": e.views}, group="reach", ver=stamp(e.reported_at, env.id))


# measures --------------------------------------------------------------------------------------
def _measure_dated(field: str, date_attr: str, extra: Callable[[DomainEvent], dict] | None = None) -> Handler:
    def handle(s: Session, env: CloudEvent, e: DomainEvent) -> None:
        values = {f"{field}_on": getattr(e, date_attr), **(extra(e) if extra else {})}
        changed = merge(s, t.measures, _key(env, measure_id=e.measure_id), values, group=field, ver=version(env),
                        also={"focus": {"focus_area": e.focus_area}})
        if changed and field in ("proposed", "accepted"):
            _measure_ties(s, env.region, e.measure_id)
    return handle


def measure_proposed(s: Session, env: CloudEvent, e: ms.MeasureProposed) -> None:
    merge(s, t.measures, _key(env, measure_id=e.measure_id), {"proposed_on": e.proposed_on}, group="proposed",
          ver=version(env), also={"focus": {"focus_area": e.focus_area}, "partners": _partners(e)})
    _measure_ties(s, env.region, e.measure_id)


def measure_revised(s: Session, env: CloudEvent, e: ms.MeasureRevised) -> None:
    if merge(s, t.measures, _key(env, measure_id=e.measure_id), _partners(e), group="partners", ver=version(env),
             also={"focus": {"focus_area": e.focus_area}}):
        _measure_ties(s, env.region, e.measure_id)


def _partners(e: ms.MeasureProposed | ms.MeasureRevised) -> dict:
    return {"partners": ",".join(sorted(set(e.partner_organisation_ids)))}


def _measure_ties(s: Session, region: str, measure_id: str) -> None:
    """Owner and partners of a measure are tied: partners from the proposal date, the owner from anchoring.

    The ties of a measure depend only on its partners, owner and dates (its focus area is joined when queried),
    so they are recomputed from the measure's row whenever one of those may have changed.
    """
    row = s.execute(t.row_reader(t.measures, ["partners", "proposed_on", "owner_organisation_id", "accepted_on"],
                                 ["region", "measure_id"]), {"k_region": region, "k_measure_id": measure_id}).one()
    partners = {p for p in (row.partners or "").split(",") if p}
    rows: dict[tuple[str, str], object] = {}
    if row.proposed_on is not None:
        for a, b in combinations(sorted(partners), 2):
            rows[(a, b)] = row.proposed_on
    if row.owner_organisation_id and row.accepted_on is not None:
        for p in partners - {row.owner_organisation_id}:
            a, b = sorted((p, row.owner_organisation_id))
            rows[(a, b)] = min(rows.get((a, b), row.accepted_on), row.accepted_on)
    key = {"region": region, "origin": "measure", "source_id": measure_id}
    replace_ties(s, key, [{**key, "org_a": a, "org_b": b, "tie_on": on, "sector_a": None, "sector_b": None,
                                       "focus_areas": None} for (a, b), on in rows.items()])


def effect_expected(s: Session, env: CloudEvent, e: ms.MeasureEffectExpected) -> None:
    merge(s, t.expectations, _key(env, expectation_id=e.expectation_id),
          {"measure_id": e.measure_id, "focus_area": e.focus_area, "indicator": e.indicator, "baseline": e.baseline,
           "baseline_date": e.baseline_date, "target": e.target, "target_date": e.target_date},
          group="expectation", ver=version(env))


def effect_reported(s: Session, env: CloudEvent, e: ms.MeasureEffectReported) -> None:
    merge(s, t.reports, _key(env, report_id=e.report_id),
          {"measure_id": e.measure_id, "focus_area": e.focus_area, "indicator": e.indicator, "value": e.value,
           "period_end": e.period_end, "supersedes_report_id": e.supersedes_report_id},
          group="report", ver=version(env))


def _only(regions: set[str], handler: Handler) -> Handler:
    def handle(s: Session, env: CloudEvent, e: DomainEvent) -> None:
        if env.region in regions:
            handler(s, env, e)
    return handle


def handlers_by_source(regions: list[str]) -> dict[str, dict[type[DomainEvent], Handler]]:
    """The handlers of each source service's consumer; events of regions not served are skipped."""
    table: dict[str, dict[type[DomainEvent], Handler]] = {
        "membership": {
            mb.OrganisationRegistered: organisation, mb.OrganisationUpdated: organisation,
            mb.PersonRegistered: person, mb.PersonUpdated: person,
            mb.GroupFormed: group, mb.GroupUpdated: group,
            mb.MemberJoined: member_joined, mb.MemberLeft: member_left, mb.MandateConfirmed: mandate_confirmed,
        },
        "events": {
            ev.GatheringHeld: gathering_held, ev.CommunicationPublished: communication_published,
            ev.CommunicationReachReported: communication_reach,
        },
        "measures": {
            ms.MeasureProposed: measure_proposed, ms.MeasureRevised: measure_revised,
            ms.MeasureAdopted: _measure_dated("adopted", "decided_on"),
            ms.MeasureRejected: _measure_dated("rejected", "decided_on"),
            ms.MeasureOwnershipAccepted: _measure_dated("accepted", "accepted_on",
                                                        lambda e: {"owner_organisation_id": e.organisation_id}),
            ms.MeasureStarted: _measure_dated("started", "started_on"),
            ms.MeasureCompleted: _measure_dated("completed", "completed_on"),
            ms.MeasureStopped: _measure_dated("stopped", "stopped_on"),
            ms.MeasureEffectExpected: effect_expected, ms.MeasureEffectReported: effect_reported,
        },
    }
    wanted = set(regions)
    return {src: {cls: _only(wanted, fn) for cls, fn in hs.items()} for src, hs in table.items()}


def apply_envelopes(s: Session, envelopes: list[CloudEvent], regions: list[str]) -> int:
    """Apply envelopes straight to the fact tables, without the consumer's inbox (ground truth in tests
    and benchmarks). Returns how many had a handler."""
    table = {cls.type_name(): fn for hs in handlers_by_source(regions).values() for cls, fn in hs.items()}
    applied = 0
    for env in envelopes:
        fn = table.get(env.type)
        if fn is not None:
            fn(s, env, parse_data(env))
            applied += 1
    return applied
