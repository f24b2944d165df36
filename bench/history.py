"""Event histories built from the published contracts: small hand-made ones for tests, and a realistic
mixed stream of any size for the benchmark."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from kf.contracts import events as ev
from kf.contracts import measures as ms
from kf.contracts import membership as mb
from kf.contracts.catalog import DomainEvent
from kf.contracts.envelope import CloudEvent, wrap

SECTORS = [s.value for s in mb.Sector]
AREAS = ("relevant_competence", "lifelong_learning", "inclusion")
INDICATOR_AREA = {"apprenticeships": "relevant_competence", "evu_participants": "lifelong_learning",
                  "people_included": "inclusion", "companies_reached": None}


class History:
    """Builds envelopes in order; each one a second after the previous unless a time is given."""

    def __init__(self, region: str = "ostfold", start: datetime = datetime(2020, 1, 1, tzinfo=UTC)) -> None:
        self.region = region
        self.clock = start
        self.events: list[CloudEvent] = []

    def add(self, event: DomainEvent, subject: str, at: datetime | None = None) -> CloudEvent:
        self.clock = at or self.clock + timedelta(seconds=1)
        env = wrap(event, region=self.region, subject=subject, time=self.clock)
        self.events.append(env)
        return env

    # membership
    def org(self, oid: str, sector: str) -> CloudEvent:
        return self.add(mb.OrganisationRegistered(organisation_id=oid, name=f"Org {oid}", org_number="974760673",
                                                  sector=sector), oid)

    def org_update(self, oid: str, sector: str, at: datetime | None = None) -> CloudEvent:
        return self.add(mb.OrganisationUpdated(organisation_id=oid, name=f"Org {oid}", sector=sector), oid, at=at)

    def person(self, pid: str, oid: str, sector: str, role_kind: str = "employee", updated: bool = False) -> CloudEvent:
        cls = mb.PersonUpdated if updated else mb.PersonRegistered
        return self.add(cls(person_id=pid, organisation_id=oid, sector=sector, role_kind=role_kind), pid)

    def group(self, gid: str, focus: str | None, kind: str = "competence") -> CloudEvent:
        return self.add(mb.GroupFormed(group_id=gid, name=f"Group {gid}", kind=kind, focus_area=focus), gid)

    def group_update(self, gid: str, focus: str | None, kind: str = "competence") -> CloudEvent:
        return self.add(mb.GroupUpdated(group_id=gid, name=f"Group {gid}", kind=kind, focus_area=focus), gid)

    def join(self, mid: str, gid: str, pid: str, oid: str, sector: str, joined_on: date, role_kind: str = "employee") -> CloudEvent:
        return self.add(mb.MemberJoined(membership_id=mid, group_id=gid, person_id=pid, organisation_id=oid, sector=sector,
                                        role_kind=role_kind, role="member", joined_on=joined_on), mid)

    def leave(self, mid: str, gid: str, pid: str, left_on: date) -> CloudEvent:
        return self.add(mb.MemberLeft(membership_id=mid, group_id=gid, person_id=pid, left_on=left_on), mid)

    def mandate(self, mid: str, pid: str, oid: str, on: date) -> CloudEvent:
        return self.add(mb.MandateConfirmed(membership_id=mid, person_id=pid, organisation_id=oid, confirmed_on=on), mid)

    # events
    def held(self, gid: str, on: date, attendees: list[tuple[str, str, str]], areas: tuple[str, ...] = ()) -> CloudEvent:
        return self.add(ev.GatheringHeld(gathering_id=gid, kind="common_gathering", held_on=on, focus_areas=areas,
                                         attendees=tuple(ev.Attendee(person_id=p, role="participant", organisation_id=o,
                                                                     sector=s) for p, o, s in attendees)), gid)

    def communication(self, cid: str, on: date, recipients: int | None, views: int | None = None,
                      areas: tuple[str, ...] = ()) -> CloudEvent:
        at = datetime(on.year, on.month, on.day, 9, tzinfo=UTC)
        return self.add(ev.CommunicationPublished(communication_id=cid, channel="newsletter", title="News", published_at=at,
                                                  focus_areas=areas, audience=ev.Audience(everyone=True),
                                                  recipients=recipients, views=views), cid)

    def reach(self, cid: str, recipients: int | None, views: int | None, at: datetime) -> CloudEvent:
        return self.add(ev.CommunicationReachReported(communication_id=cid, recipients=recipients, views=views,
                                                      reported_at=at), cid)

    # measures
    def propose(self, mid: str, focus: str, on: date, partners: tuple[str, ...] = ()) -> CloudEvent:
        return self.add(ms.MeasureProposed(measure_id=mid, title=f"Measure {mid}", focus_area=focus,
                                           partner_organisation_ids=partners, proposed_on=on), mid)

    def revise(self, mid: str, focus: str, on: date, partners: tuple[str, ...] = ()) -> CloudEvent:
        return self.add(ms.MeasureRevised(measure_id=mid, title=f"Measure {mid}", focus_area=focus,
                                          partner_organisation_ids=partners, revised_on=on), mid)

    def decide(self, mid: str, focus: str, on: date, adopted: bool = True) -> CloudEvent:
        cls = ms.MeasureAdopted if adopted else ms.MeasureRejected
        return self.add(cls(measure_id=mid, focus_area=focus, decided_on=on, decided_by="Styringsgruppen", rationale="-"), mid)

    def anchor(self, mid: str, focus: str, oid: str, on: date) -> CloudEvent:
        return self.add(ms.MeasureOwnershipAccepted(measure_id=mid, focus_area=focus, organisation_id=oid,
                                                    mandate_holder_person_id="p-owner", accepted_on=on), mid)

    def complete(self, mid: str, focus: str, on: date) -> CloudEvent:
        return self.add(ms.MeasureCompleted(measure_id=mid, focus_area=focus, completed_on=on), mid)

    def expect(self, eid: str, mid: str, focus: str, indicator: str, baseline: float, target: float, on: date) -> CloudEvent:
        return self.add(ms.MeasureEffectExpected(measure_id=mid, expectation_id=eid, focus_area=focus, indicator=indicator,
                                                 unit="people", baseline=baseline, baseline_date=on, target=target,
                                                 target_date=on + timedelta(days=730)), mid)

    def report(self, rid: str, mid: str, focus: str, indicator: str, value: float, period_end: date,
               supersedes: str | None = None) -> CloudEvent:
        return self.add(ms.MeasureEffectReported(measure_id=mid, report_id=rid, focus_area=focus, indicator=indicator,
                                                 value=value, period_start=period_end - timedelta(days=90),
                                                 period_end=period_end, source="NAV", reported_by_person_id="p-x",
                                                 supersedes_report_id=supersedes), mid)


def small_forum() -> History:
    """The hand-computed forum of the KPI tests (see tests/unit/test_metrics_kpis.py for the expected values)."""
    h = History()
    for oid, sector in (("o1", "county"), ("o2", "municipality"), ("o3", "business"), ("o4", "business")):
        h.org(oid, sector)
    h.group("g1", "relevant_competence")
    h.group("g2", "inclusion")
    for pid, oid, sector, kind in (("p1", "o1", "county", "leader"), ("p2", "o2", "municipality", "employee"),
                                   ("p3", "o3", "business", "employee"), ("p4", "o4", "business", "leader"),
                                   ("p5", "o3", "business", "employee")):
        h.person(pid, oid, sector, kind)
    h.join("m1", "g1", "p1", "o1", "county", date(2020, 1, 10), "leader")
    h.mandate("m1", "p1", "o1", date(2020, 2, 1))
    h.join("m2", "g1", "p2", "o2", "municipality", date(2020, 3, 1))
    h.leave("m2", "g1", "p2", date(2021, 1, 31))
    h.join("m3", "g2", "p3", "o3", "business", date(2020, 6, 1))
    h.mandate("m3", "p3", "o3", date(2021, 8, 1))
    h.join("m4", "g2", "p4", "o4", "business", date(2021, 7, 15), "leader")
    h.join("m5", "g1", "p5", "o3", "business", date(2020, 5, 1))
    h.held("G1", date(2020, 9, 1), [("p1", "o1", "county"), ("p2", "o2", "municipality"), ("p5", "o3", "business")],
           ("relevant_competence",))
    h.held("G2", date(2021, 3, 1), [("p3", "o3", "business"), ("p2", "o2", "municipality")], ("inclusion",))
    h.held("G3", date(2021, 9, 1), [("p1", "o1", "county"), ("p4", "o4", "business")], ("inclusion",))
    h.communication("C1", date(2021, 2, 1), 100, None, ("inclusion",))
    h.reach("C1", 150, None, datetime(2021, 3, 1, tzinfo=UTC))
    h.communication("C2", date(2021, 7, 1), None, 40)
    h.propose("X1", "relevant_competence", date(2020, 10, 1), ("o3", "o4"))
    h.decide("X1", "relevant_competence", date(2020, 11, 15))
    h.anchor("X1", "relevant_competence", "o2", date(2021, 1, 10))
    h.propose("X2", "inclusion", date(2021, 1, 1))
    h.decide("X2", "inclusion", date(2021, 3, 2), adopted=False)
    h.propose("X3", "inclusion", date(2021, 5, 1))
    h.expect("E1", "X1", "relevant_competence", "apprenticeships", 0, 10, date(2020, 11, 15))
    h.report("R1", "X1", "relevant_competence", "apprenticeships", 4, date(2021, 3, 31))
    h.report("R2", "X1", "relevant_competence", "apprenticeships", 5, date(2021, 6, 30))
    h.report("R3", "X1", "relevant_competence", "apprenticeships", 7, date(2021, 6, 30), supersedes="R2")
    return h


def realistic(n_events: int, seed: int = 1, region: str = "ostfold", start: date = date(2019, 3, 1)) -> History:
    """A forum's life, scaled up: organisations and members first, then gatherings with attendance lists,
    communications with later reach reports, measures through their lifecycle with expected and reported effects
    (and corrections). Stops at `n_events` envelopes."""
    rng = random.Random(seed)
    h = History(region, datetime(start.year, start.month, start.day, tzinfo=UTC))
    n_orgs = max(20, min(150, n_events // 400))  # a large region has about 150 organisations taking part
    orgs = [(f"o{i}", SECTORS[i % len(SECTORS)]) for i in range(n_orgs)]
    for oid, sector in orgs:
        h.org(oid, sector)
    groups = [(f"g{i}", AREAS[i % 3]) for i in range(max(3, n_orgs // 8))]
    for gid, area in groups:
        h.group(gid, area)
    people: list[tuple[str, str, str]] = []
    day = start
    counters = {"p": 0, "m": 0, "g": 0, "c": 0, "x": 0, "r": 0}

    def nid(kind: str) -> str:
        counters[kind] += 1
        return f"{kind}{counters[kind]}"

    memberships: list[tuple[str, str, str]] = []
    org_sectors: dict[str, str] = {}  # sectors and focus areas changed since registration
    group_areas: dict[str, str | None] = {}
    held: list[tuple[str, date, str]] = []
    while len(h.events) < n_events:
        day += timedelta(days=1) if rng.random() < 0.1 else timedelta(0)
        # Events are recorded on the day they tell of (or later): an update of a person or an organisation falls
        # on its CloudEvents day.
        h.clock = max(h.clock, datetime(day.year, day.month, day.day, 8, tzinfo=UTC))
        roll = rng.random()
        if roll < 0.12 or len(people) < 10:
            oid, sector = rng.choice(orgs)
            pid = nid("p")
            h.person(pid, oid, sector, rng.choice(["employee", "leader", "expert", "elected_representative"]))
            people.append((pid, oid, sector))
            gid, _ = rng.choice(groups)
            mid = nid("m")
            h.join(mid, gid, pid, oid, sector, day)
            memberships.append((mid, gid, pid))
            if rng.random() < 0.7:
                h.mandate(mid, pid, oid, day + timedelta(days=rng.randint(5, 60)))
        elif roll < 0.13:
            oid, sector = rng.choice(orgs)
            which = rng.random()
            if which < 0.4:  # mostly a new name or municipality; now and then another sector
                current = org_sectors.get(oid, sector)
                org_sectors[oid] = rng.choice(SECTORS) if rng.random() < 0.25 else current
                h.org_update(oid, org_sectors[oid])
            elif which < 0.55:  # a group renamed; now and then moved to another focus area (or to none)
                gid, area = rng.choice(groups)
                group_areas[gid] = rng.choice((*AREAS, None)) if rng.random() < 0.25 else group_areas.get(gid, area)
                h.group_update(gid, group_areas[gid])
            elif people:
                pid, poid, psector = rng.choice(people)
                h.person(pid, poid, psector, rng.choice(["employee", "leader"]), updated=True)
        elif roll < 0.15 and memberships:
            mid, gid, pid = memberships.pop(rng.randrange(len(memberships)))
            h.leave(mid, gid, pid, day)
        elif roll < 0.40:
            if held and rng.random() < 0.05:  # a corrected attendance list for an earlier gathering
                gid, on, area = rng.choice(held)
                h.held(gid, on, rng.sample(people, min(len(people), rng.randint(2, 20))), (area,))
                continue
            gid = nid("g")
            who = rng.sample(people, min(len(people), rng.randint(5, 20)))
            area = rng.choice(AREAS)
            h.held(gid, day, who, (area,))
            held.append((gid, day, area))
        elif roll < 0.55:
            cid = nid("c")
            h.communication(cid, day, rng.randint(50, 2000), rng.randint(0, 5000), (rng.choice(AREAS),))
            if rng.random() < 0.5:
                h.reach(cid, rng.randint(50, 3000), rng.randint(0, 8000),
                        datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=rng.randint(1, 30)))
        else:
            mid = nid("x")
            area = rng.choice(AREAS)
            partners = tuple(o for o, _ in rng.sample(orgs, rng.randint(1, 4)))
            h.propose(mid, area, day, partners)
            if rng.random() < 0.2:
                area = rng.choice(AREAS)
                h.revise(mid, area, day + timedelta(days=7), tuple(o for o, _ in rng.sample(orgs, rng.randint(1, 4))))
            decided = day + timedelta(days=rng.randint(14, 120))
            adopted = rng.random() < 0.75
            h.decide(mid, area, decided, adopted)
            if adopted:
                h.anchor(mid, area, rng.choice(orgs)[0], decided + timedelta(days=rng.randint(7, 60)))
                indicator = rng.choice(list(INDICATOR_AREA))
                h.expect(nid("r"), mid, area, indicator, 0, rng.randint(5, 50), decided)
                last = None
                for q in range(rng.randint(1, 4)):
                    rid = nid("r")
                    h.report(rid, mid, area, indicator, rng.randint(0, 20), decided + timedelta(days=90 * (q + 1)))
                    last = rid
                if last and rng.random() < 0.2:
                    h.report(nid("r"), mid, area, indicator, rng.randint(0, 20), decided + timedelta(days=90), supersedes=last)
                if rng.random() < 0.5:
                    h.complete(mid, area, decided + timedelta(days=rng.randint(200, 500)))
    del h.events[n_events:]
    return h
