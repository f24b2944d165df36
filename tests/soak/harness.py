"""Whole-platform soak: every service on real NATS and PostgreSQL under a mixed HTTP write load while
a fault schedule restarts NATS and PostgreSQL and SIGKILLs services; afterwards every accepted
write must have produced exactly one event, and every checked KPI must equal the value recomputed
from the services' own databases."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from kf.contracts.subjects import stream_name
from kf.demo.membership import org_number
from kf.runtime.db import normalise_url
from kf.testing.fixtures import TOKENS, tokens_json
from kf.testing.postgres import EmbeddedPostgres, create_database
from kf.testing.stack import Stack
from kf.testing.streams import read_stream

SECTORS = ["county", "municipality", "state_agency", "university_college", "vocational_college",
           "employer_organisation", "union", "business", "voluntary"]
FOCUS = ["relevant_competence", "lifelong_learning", "inclusion"]
PRODUCERS = ("membership", "events", "measures", "metrics")


@dataclass(frozen=True)
class Write:
    """An accepted write and the one event it must have produced."""

    service: str
    event: str  # short name, e.g. "member.joined"
    key: str  # the data field that identifies the aggregate
    value: str


@dataclass
class SoakReport:
    duration_s: float
    writes_accepted: int = 0
    writes_failed: int = 0
    events: dict[str, int] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    kpis: dict[str, tuple] = field(default_factory=dict)
    kpi_mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected or self.kpi_mismatches) and self.writes_accepted > 0

    def summary(self) -> str:
        lines = [f"soak: {self.duration_s:.0f} s of load, {self.writes_accepted} writes accepted, "
                 f"{self.writes_failed} refused or failed during faults",
                 f"events on the streams: {self.events} (total {sum(self.events.values())})",
                 f"faults survived: {len(self.faults)}: {', '.join(self.faults)}",
                 f"lost: {len(self.lost)}, duplicated: {len(self.duplicated)}, unexpected: {len(self.unexpected)}",
                 f"KPIs checked against the services' databases: {len(self.kpis)}, mismatches: {len(self.kpi_mismatches)}"]
        for problem in (self.lost + self.duplicated + self.unexpected + self.kpi_mismatches)[:20]:
            lines.append(f"  ! {problem}")
        return "\n".join(lines)


class Soak:
    def __init__(self, root: Path, duration: float, *, workers: int = 3, seed: int = 1) -> None:
        self.root = Path(root)
        self.duration = duration
        self.workers = workers
        self.rng = random.Random(seed)
        self.writes: list[Write] = []
        self.failed = 0
        self.lock = threading.Lock()
        self.people: list[str] = []  # registered in the set-up, known to the events service
        self.groups: list[str] = []
        self.orgs: list[str] = []
        self.active: list[str] = []  # active membership ids
        self.report = SoakReport(duration)

    # --- infrastructure -----------------------------------------------------------------------
    def start(self) -> None:
        self.pg = EmbeddedPostgres().start()
        self.db_urls = {name: create_database(self.pg.url) for name in PRODUCERS}
        self.stack = Stack(self.root, database_for=self.db_urls.__getitem__, env={"KF_API_TOKENS": tokens_json()})
        self.stack.start()
        self.http = httpx.Client(headers={"Authorization": f"Bearer {TOKENS['admin']}"}, timeout=10)

    def stop(self) -> None:
        for closer in (lambda: self.http.close(), lambda: self.stack.stop(), lambda: self.pg.stop()):
            try:
                closer()
            except Exception:  # noqa: BLE001 - tear down as much as possible
                pass

    # --- writes -------------------------------------------------------------------------------
    def _post(self, service: str, path: str, body: dict) -> dict | None:
        try:
            response = self.http.post(self.stack.url(service) + path, json=body)
        except httpx.HTTPError:
            with self.lock:
                self.failed += 1
            return None
        if response.status_code >= 300:
            with self.lock:
                self.failed += 1
            return None
        return response.json()

    def _accept(self, *writes: Write) -> None:
        with self.lock:
            self.writes.extend(writes)

    def setup(self) -> None:
        for i in range(12):
            org = self._post("membership", "/organisations", {"name": f"Soak-organisasjon {i}", "org_number": org_number(500 + i),
                                                              "sector": SECTORS[i % len(SECTORS)], "municipality": "Sarpsborg"})
            assert org, "set-up write failed"
            self.orgs.append(org["id"])
            self._accept(Write("membership", "organisation.registered", "organisation_id", org["id"]))
        for area in FOCUS:
            group = self._post("membership", "/groups", {"name": f"Soak {area}", "kind": "competence", "focus_area": area})
            self.groups.append(group["id"])
            self._accept(Write("membership", "group.formed", "group_id", group["id"]))
        for i in range(24):
            person = self._register_person(f"base{i}")
            self.people.append(person)
        deadline = time.monotonic() + 60
        base = self.stack.url("events")
        while time.monotonic() < deadline:
            known = sum(self.http.get(f"{base}/directory/people/{p}").status_code == 200 for p in self.people[-3:])
            if known == 3:
                break
            time.sleep(0.5)

    def _register_person(self, tag: str) -> str | None:
        person = self._post("membership", "/people", {"name": f"Soak {tag}", "email": f"soak.{tag}@example.no",
                                                      "organisation_id": self.rng.choice(self.orgs),
                                                      "role_kind": self.rng.choice(["leader", "employee", "expert"])})
        if not person:
            return None
        self._accept(Write("membership", "person.registered", "person_id", person["id"]))
        member = self._post("membership", "/memberships", {"person_id": person["id"], "group_id": self.rng.choice(self.groups)})
        if member:
            self._accept(Write("membership", "member.joined", "membership_id", member["id"]))
            with self.lock:
                self.active.append(member["id"])
        return person["id"]

    def _leave_or_mandate(self, rng: random.Random) -> None:
        with self.lock:
            if len(self.active) < 5:
                return
            membership_id = self.active.pop(rng.randrange(len(self.active)))
        if rng.random() < 0.5:
            if self._post("membership", f"/memberships/{membership_id}/mandate", {}):
                self._accept(Write("membership", "mandate.confirmed", "membership_id", membership_id))
            with self.lock:
                self.active.append(membership_id)
        elif self._post("membership", f"/memberships/{membership_id}/leave", {}):
            self._accept(Write("membership", "member.left", "membership_id", membership_id))

    def _gathering(self, rng: random.Random) -> None:
        start = datetime.now(UTC) - timedelta(days=rng.randint(1, 300))
        gathering = self._post("events", "/gatherings", {
            "kind": rng.choice(["common_gathering", "workshop", "company_visit"]), "title": "Soak-samling",
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat(), "place": "Sarpsborg",
            "focus_areas": [rng.choice(FOCUS)]})
        if not gathering:
            return
        self._accept(Write("events", "gathering.scheduled", "gathering_id", gathering["id"]))
        attendees = [{"person_id": p} for p in rng.sample(self.people, rng.randint(2, 6))]
        if self._post("events", f"/gatherings/{gathering['id']}/held", {"attendees": attendees}):
            self._accept(Write("events", "gathering.held", "gathering_id", gathering["id"]))

    def _communication(self, rng: random.Random) -> None:
        com = self._post("events", "/communications", {
            "channel": rng.choice(["newsletter", "web_article", "facebook_post"]), "title": "Soak-nyhetsbrev",
            "published_at": (datetime.now(UTC) - timedelta(days=rng.randint(1, 100))).isoformat(),
            "audience": {"everyone": True}, "recipients": rng.randint(10, 500)})
        if com:
            self._accept(Write("events", "communication.published", "communication_id", com["id"]))

    def _measure(self, rng: random.Random) -> None:
        measure = self._post("measures", "/measures", {"title": "Soak-tiltak", "focus_area": rng.choice(FOCUS),
                                                       "partner_organisation_ids": rng.sample(self.orgs, 2)})
        if not measure:
            return
        mid = measure["id"]
        self._accept(Write("measures", "measure.proposed", "measure_id", mid))
        if not self._post("measures", f"/measures/{mid}/inputs", {"text": "Innspill fra samlingen"}):
            return
        self._accept(Write("measures", "measure.input_received", "measure_id", mid))
        if not self._post("measures", f"/measures/{mid}/revise", {"title": "Soak-tiltak, revidert"}):
            return
        self._accept(Write("measures", "measure.revised", "measure_id", mid))
        decision = {"decided_by": "Styringsgruppen", "rationale": "Soak"}
        if rng.random() < 0.75:
            if self._post("measures", f"/measures/{mid}/adopt", decision):
                self._accept(Write("measures", "measure.adopted", "measure_id", mid))
        elif self._post("measures", f"/measures/{mid}/reject", decision):
            self._accept(Write("measures", "measure.rejected", "measure_id", mid))

    def _goal(self, rng: random.Random) -> None:
        goal = self._post("metrics", "/goals", {"title": "Soak-mål", "kpi": rng.choice(["members", "gatherings_held"]),
                                                "baseline_value": 1, "baseline_date": "2020-01-01",
                                                "target_value": rng.randint(50, 500), "target_date": "2027-12-31"})
        if goal:
            self._accept(Write("metrics", "goal.set", "goal_id", goal["goal_id"]))

    def _worker(self, index: int, deadline: float) -> None:
        rng = random.Random(index * 7919)
        actions = [(lambda r: self._register_person(f"w{index}-{r.random():.12f}"), 4), (self._leave_or_mandate, 3),
                   (self._gathering, 2), (self._communication, 1), (self._measure, 2), (self._goal, 1)]
        funcs, weights = zip(*actions)
        while time.monotonic() < deadline:
            rng.choices(funcs, weights)[0](rng)

    # --- faults -------------------------------------------------------------------------------
    def _faults(self, start: float) -> None:
        schedule = [(0.15, "NATS restarted", self._restart_nats), (0.35, "metrics SIGKILLed and restarted",
                    lambda: self._kill_restart("metrics")), (0.55, "membership SIGKILLed and restarted",
                    lambda: self._kill_restart("membership")), (0.75, "PostgreSQL restarted", self.pg.restart)]
        for at, name, action in schedule:
            delay = start + at * self.duration - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            action()
            self.report.faults.append(name)

    def _restart_nats(self) -> None:
        self.stack.nats.stop()
        time.sleep(1.0)
        self.stack.nats.start()

    def _kill_restart(self, name: str) -> None:
        self.stack.kill(name)
        time.sleep(0.5)
        self.stack.start_again(name)

    # --- checks -------------------------------------------------------------------------------
    def _db(self, name: str, sql: str):
        engine = create_engine(normalise_url(self.db_urls[name]))
        try:
            with engine.connect() as conn:
                return conn.execute(text(sql)).scalar()
        finally:
            engine.dispose()

    def _outbox_ids(self, name: str) -> set[str]:
        engine = create_engine(normalise_url(self.db_urls[name]))
        try:
            with engine.connect() as conn:
                return set(conn.execute(text("SELECT event_id FROM outbox")).scalars())
        finally:
            engine.dispose()

    def _quiesce(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._db(n, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0 for n in PRODUCERS):
                return
            time.sleep(0.5)
        raise AssertionError("outboxes did not drain")

    def expected_kpis(self) -> dict[str, float]:
        """The same KPIs recomputed from the services' own tables (today, all of the region)."""
        today = date.today().isoformat()
        return {
            "members": self._db("membership", f"SELECT count(*) FROM memberships WHERE joined_on <= '{today}' "
                                              f"AND (left_on IS NULL OR left_on > '{today}')"),
            "organisations": self._db("membership", f"SELECT count(DISTINCT p.organisation_id) FROM memberships m JOIN people p "
                                                    f"ON p.id = m.person_id WHERE m.joined_on <= '{today}' "
                                                    f"AND (m.left_on IS NULL OR m.left_on > '{today}')"),
            "gatherings_held": self._db("events", f"SELECT count(*) FROM gatherings WHERE state = 'held' AND held_on <= '{today}'"),
            "attendances": self._db("events", "SELECT count(*) FROM attendances a JOIN gatherings g ON g.id = a.gathering_id "
                                              f"WHERE g.state = 'held' AND g.held_on <= '{today}'"),
            "communications_published": self._db("events", "SELECT count(*) FROM communications"),
            "communication_reach": self._db("events", "SELECT coalesce(sum(coalesce(recipients, views, 0)), 0) FROM communications"),
            "measures_proposed": self._db("measures", f"SELECT count(*) FROM measures WHERE proposed_on <= '{today}'"),
            "measures_adopted": self._db("measures", "SELECT count(*) FROM measures WHERE decided_on IS NOT NULL AND state <> 'rejected'"),
            "measures_rejected": self._db("measures", "SELECT count(*) FROM measures WHERE state = 'rejected'"),
        }

    def _kpis(self) -> dict[str, float]:
        response = self.http.get(self.stack.url("metrics") + "/kpis", params={"region": "ostfold"})
        response.raise_for_status()
        return {k["id"]: k["value"] for k in response.json() if k.get("focus_area") in (None, "")}

    def check(self) -> SoakReport:
        report = self.report
        self._quiesce()
        expected = self.expected_kpis()
        deadline = time.monotonic() + 90
        actual: dict[str, float] = {}
        while time.monotonic() < deadline:
            actual = self._kpis()
            if all(actual.get(k) == v for k, v in expected.items()):
                break
            time.sleep(1)
        report.kpis = {k: (v, actual.get(k)) for k, v in expected.items()}
        report.kpi_mismatches = [f"KPI {k}: metrics says {actual.get(k)}, the databases say {v}"
                                 for k, v in expected.items() if actual.get(k) != v]
        by_key: Counter = Counter()
        for name in PRODUCERS:
            msgs = read_stream(self.stack.nats.url, stream_name(name))
            report.events[name] = len(msgs)
            ids = Counter(m.headers.get("Nats-Msg-Id") for m in msgs)
            report.duplicated += [f"{name}: event {i} stored {n} times" for i, n in ids.items() if n > 1]
            outbox = self._outbox_ids(name)
            report.lost += [f"{name}: committed event {i} never reached the stream" for i in sorted(outbox - set(ids))]
            report.unexpected += [f"{name}: stream event {i} has no outbox row" for i in sorted(set(ids) - outbox)]
            for m in msgs:
                event = m.event
                short = ".".join(event["type"].split(".")[2:4])
                for key, value in event["data"].items():
                    if isinstance(value, str):
                        by_key[(name, short, key, value)] += 1
        for w in self.writes:
            n = by_key[(w.service, w.event, w.key, w.value)]
            if n == 0:
                report.lost.append(f"accepted write {w.event} {w.value} produced no event")
            elif n > 1:
                report.duplicated.append(f"accepted write {w.event} {w.value} produced {n} events")
        report.writes_accepted = len(self.writes)
        report.writes_failed = self.failed
        return report

    def run(self) -> SoakReport:
        self.start()
        try:
            self.setup()
            start = time.monotonic()
            deadline = start + self.duration
            threads = [threading.Thread(target=self._worker, args=(i, deadline)) for i in range(self.workers)]
            threads.append(threading.Thread(target=self._faults, args=(start,)))
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return self.check()
        finally:
            self.stop()
