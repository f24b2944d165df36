"""Event handlers: each states the facts an event carries as versioned merges into a `Batch`, which writes a
fetched batch's facts set-based (projection.py). Order-independent and idempotent: for each group of fields
the newest event wins, and a duplicate changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from kf.contracts import events as ev
from kf.contracts import measures as ms
from kf.contracts import membership as mb
from kf.contracts.catalog import DomainEvent
from kf.contracts.envelope import CloudEvent, parse_data
from kf.contracts.fields import local_date
from kf.runtime.consumer import BatchInfo, StopConsuming
from kf.runtime.db import bulk_checkpoints
from services.metrics import positions
from services.metrics import store as t
from services.metrics.catchup import CatchUp
from services.metrics.derive import derive_all, is_pending
from services.metrics.projection import Batch
from services.metrics.store import areas_text, stamp, version

Handler = Callable[[Batch, CloudEvent, DomainEvent], None]


def _key(env: CloudEvent, **ids) -> dict:
    # The envelope's region is the region of the subject the event came on: the kit's consumer dead-letters an event
    # whose envelope names another (a producer may publish only on its own region's subjects).
    return {"region": env.region, **ids}


# membership ------------------------------------------------------------------------------------
# A registration or an update holds from its Norwegian calendar day on (the dated history in store.py): these facts
# carry no business date, so the CloudEvents `time` decides where they fall.
def organisation(b: Batch, env: CloudEvent, e: mb.OrganisationRegistered | mb.OrganisationUpdated) -> None:
    ver = version(env)
    b.merge(t.organisations, _key(env, organisation_id=e.organisation_id), {"sector": e.sector.value},
            group="org", ver=ver)
    b.merge(t.org_sectors, _key(env, organisation_id=e.organisation_id, since=local_date(env.time)),
            {"sector": e.sector.value}, group="hist", ver=ver)


def person(b: Batch, env: CloudEvent, e: mb.PersonRegistered | mb.PersonUpdated) -> None:
    ver = version(env)
    b.merge(t.people, _key(env, person_id=e.person_id),
            {"organisation_id": e.organisation_id, "sector": e.sector.value, "role_kind": e.role_kind.value},
            group="person", ver=ver)
    b.merge(t.person_roles, _key(env, person_id=e.person_id, since=local_date(env.time)),
            {"role_kind": e.role_kind.value}, group="hist", ver=ver)


def group(b: Batch, env: CloudEvent, e: mb.GroupFormed | mb.GroupUpdated) -> None:
    ver = version(env)
    b.merge(t.groups, _key(env, group_id=e.group_id), {"kind": e.kind.value, "focus_area": e.focus_area},
            group="group", ver=ver)
    b.merge(t.group_areas, _key(env, group_id=e.group_id, since=local_date(env.time)),
            {"focus_area": e.focus_area}, group="hist", ver=ver)


def member_joined(b: Batch, env: CloudEvent, e: mb.MemberJoined) -> None:
    b.merge(t.memberships, _key(env, membership_id=e.membership_id),
            {"group_id": e.group_id, "person_id": e.person_id, "organisation_id": e.organisation_id,
           "sector": e.sector.value, "role_kind": e.role_kind.value, "joined_on": e.joined_on},
            group="joined", ver=version(env))


def member_left(b: Batch, env: CloudEvent, e: mb.MemberLeft) -> None:
    b.merge(t.memberships, _key(env, membership_id=e.membership_id), {"left_on": e.left_on},
            group="left", ver=version(env))


def mandate_confirmed(b: Batch, env: CloudEvent, e: mb.MandateConfirmed) -> None:
    b.merge(t.memberships, _key(env, membership_id=e.membership_id), {"mandate_on": e.confirmed_on},
            group="mandate", ver=version(env))


# events (gatherings and communications) -------------------------------------------------------
def gathering_held(b: Batch, env: CloudEvent, e: ev.GatheringHeld) -> None:
    people = {a.person_id: a for a in e.attendees}
    b.gathering(_key(env, gathering_id=e.gathering_id), version(env),
                  {"kind": e.kind.value, "held_on": e.held_on, "focus_areas": areas_text(e.focus_areas),
                 "attendees": len(people)},
                [{"person_id": a.person_id, "organisation_id": a.organisation_id, "sector": a.sector.value,
                  "role": a.role.value} for a in people.values()])


def communication_published(b: Batch, env: CloudEvent, e: ev.CommunicationPublished) -> None:
    key = _key(env, communication_id=e.communication_id)
    b.merge(t.communications, key, {"channel": e.channel.value, "published_on": local_date(e.published_at),
                                     "focus_areas": areas_text(e.focus_areas)}, group="published", ver=version(env))
    b.merge(t.communications, key, {"recipients": e.recipients, "views": e.views}, group="reach",
            ver=stamp(e.published_at, env.id))


def communication_reach(b: Batch, env: CloudEvent, e: ev.CommunicationReachReported) -> None:
    b.merge(t.communications, _key(env, communication_id=e.communication_id),
            {"recipients": e.recipients, "views": e.views}, group="reach", ver=stamp(e.reported_at, env.id))


# measures --------------------------------------------------------------------------------------
def _measure_dated(field: str, date_attr: str, extra: Callable[[DomainEvent], dict] | None = None) -> Handler:
    def handle(b: Batch, env: CloudEvent, e: DomainEvent) -> None:
        key, ver = _key(env, measure_id=e.measure_id), version(env)
        b.merge(t.measures, key, {f"{field}_on": getattr(e, date_attr), **(extra(e) if extra else {})}, group=field, ver=ver)
        b.merge(t.measures, key, {"focus_area": e.focus_area}, group="focus", ver=ver)
        b.measure_changed(env.region, e.measure_id)  # its ties start on these dates and follow its focus area
    return handle


def measure_proposed(b: Batch, env: CloudEvent, e: ms.MeasureProposed) -> None:
    _measure_dated("proposed", "proposed_on")(b, env, e)
    b.merge(t.measures, _key(env, measure_id=e.measure_id), _partners(e), group="partners", ver=version(env))


def measure_revised(b: Batch, env: CloudEvent, e: ms.MeasureRevised) -> None:
    key, ver = _key(env, measure_id=e.measure_id), version(env)
    b.merge(t.measures, key, _partners(e), group="partners", ver=ver)
    b.merge(t.measures, key, {"focus_area": e.focus_area}, group="focus", ver=ver)
    b.measure_changed(env.region, e.measure_id)


def _partners(e: ms.MeasureProposed | ms.MeasureRevised) -> dict:
    return {"partners": ",".join(sorted(set(e.partner_organisation_ids)))}


def effect_expected(b: Batch, env: CloudEvent, e: ms.MeasureEffectExpected) -> None:
    b.merge(t.expectations, _key(env, expectation_id=e.expectation_id),
            {"measure_id": e.measure_id, "focus_area": e.focus_area, "indicator": e.indicator, "baseline": e.baseline,
           "baseline_date": e.baseline_date, "target": e.target, "target_date": e.target_date},
            group="expectation", ver=version(env))


def effect_reported(b: Batch, env: CloudEvent, e: ms.MeasureEffectReported) -> None:
    b.merge(t.reports, _key(env, report_id=e.report_id),
            {"measure_id": e.measure_id, "focus_area": e.focus_area, "indicator": e.indicator, "value": e.value,
           "period_end": e.period_end, "supersedes_report_id": e.supersedes_report_id},
            group="report", ver=version(env))



HANDLERS: dict[str, dict[type[DomainEvent], Handler]] = {
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
ALL_HANDLERS = {cls: fn for hs in HANDLERS.values() for cls, fn in hs.items()}


def batch_handler(regions: list[str], *, derive: bool = True, catch_up: CatchUp | None = None,
                  consumer: str = "", helper: bool = False) -> BatchApplier:
    """The consumers' batch handler (see `BatchApplier`)."""
    return BatchApplier(regions, derive=derive, catch_up=catch_up, consumer=consumer, helper=helper)


class BatchApplier:
    """Applies a fetched batch: one `Batch` per batch; events of regions not served are skipped.
    With `derive=False` (a replay) only the facts are written; `derive.derive_all` computes the rest at the end.
    With `catch_up`, a consumer far behind its stream does the same on its own (catchup.py). A `helper`
    (helpers.py) writes facts only while the derived tables are marked as lagging, and stops consuming after.
    `prepare` states the batch's merges before the consumer takes the writers' lock (the kit's `batch_prepare`)."""

    def __init__(self, regions: list[str], *, derive: bool, catch_up: CatchUp | None, consumer: str,
                 helper: bool) -> None:
        self.wanted = set(regions)
        self.derive, self.catch_up, self.consumer, self.helper = derive, catch_up, consumer, helper
        self.backlog: int | None = None  # messages behind the last batch applied (None before the first)

    def prepare(self, items: list[tuple[CloudEvent, DomainEvent]]) -> Batch:
        b = Batch()
        for env, event in items:
            if env.region in self.wanted:
                ALL_HANDLERS[type(event)](b, env, event)
        return b

    def __call__(self, s: Session, items: list[tuple[CloudEvent, DomainEvent]], info: BatchInfo | None = None,
                 prepared: Batch | None = None) -> None:
        if self.helper and not is_pending(s):
            raise StopConsuming("the derived tables are up to date: this batch is for the service to apply")
        catch_up = self.catch_up
        facts_only = self.helper or not self.derive or (catch_up is not None and catch_up.before(s, self.consumer, info))
        bulk_checkpoints(s, facts_only)
        b = prepared if prepared is not None else self.prepare(items)
        b.derive = not facts_only
        b.flush(s)
        if info is not None:
            self.backlog = info.backlog
            if items:
                positions.record(s, self.consumer, info.last_seq, len(items))
        if self.derive and not self.helper and facts_only and catch_up is not None:
            catch_up.after(s)


def apply_envelopes(s: Session, envelopes: list[CloudEvent], regions: list[str], batch_size: int = 1000,
                    derive: bool = True) -> int:
    """Apply envelopes straight to the fact tables in batches of `batch_size`, without a consumer
    (ground truth in tests and benchmarks); with `derive=False`, derive once at the end as a replay does.
    Returns how many had a handler."""
    apply = batch_handler(regions, derive=derive)
    items = []
    for env in envelopes:
        event = parse_data(env)
        if type(event) in ALL_HANDLERS:
            items.append((env, event))
    for i in range(0, len(items), batch_size):
        apply(s, items[i:i + batch_size])
    if not derive:
        derive_all(s)
    return len(items)
