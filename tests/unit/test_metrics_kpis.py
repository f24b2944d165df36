"""Each KPI's formula on a small hand-computed forum, at several as-of dates and per focus area."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.history import History, small_forum
from kf.regiondata import load_region
from services.metrics.handlers import apply_envelopes
from services.metrics.kpis import density, median_or_none, shannon_evenness
from services.metrics.queries import kpi_values, kpi_values_from_facts, org_sectors
from services.metrics.store import metadata

REGION = load_region("ostfold")


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('kpis') / 'm.db'}")
    metadata.create_all(engine)
    with Session(engine) as s:
        apply_envelopes(s, small_forum().events, ["ostfold"])
        s.commit()
        yield s
    engine.dispose()


def test_membership_kpis_count_active_members_as_of_the_date(session):
    v = kpi_values(session, REGION, None, date(2021, 6, 30))
    assert v["members"] == 3  # m1, m3, m5: m2 left in January, m4 joins in July
    assert v["organisations"] == 2 and v["sectors_represented"] == 2
    p = [1 / 3, 2 / 3]
    assert v["sector_diversity"] == pytest.approx(-sum(x * math.log(x) for x in p) / math.log(2))
    assert v["mandate_share"] == pytest.approx(1 / 3)  # m3's mandate comes in August
    assert v["decision_maker_share"] == pytest.approx(1 / 3)
    assert kpi_values(session, REGION, None, date(2020, 12, 31))["members"] == 4
    assert kpi_values(session, REGION, None, date(2019, 12, 31))["mandate_share"] is None


def test_membership_kpis_per_focus_area(session):
    v = kpi_values(session, REGION, "relevant_competence", date(2021, 6, 30))
    assert (v["members"], v["organisations"], v["mandate_share"]) == (2, 2, 0.5)
    assert kpi_values(session, REGION, "inclusion", date(2021, 6, 30))["members"] == 1
    assert kpi_values(session, REGION, "lifelong_learning", date(2021, 6, 30))["members"] == 0


def test_relationship_kpis(session):
    v = kpi_values(session, REGION, None, date(2021, 6, 30))
    assert (v["gatherings_held"], v["attendances"]) == (2, 5)
    # G1 ties o1-o2, o1-o3, o2-o3; X1 adds o2-o4 when o2 took ownership (o3-o4 are both businesses).
    assert v["cross_sector_ties"] == 4
    assert kpi_values(session, REGION, None, date(2020, 12, 31))["cross_sector_ties"] == 3
    assert v["network_density"] == 1.0  # o1 and o3 take part and are tied
    assert v["members_active_share"] == 1.0
    later = kpi_values(session, REGION, None, date(2021, 9, 15))
    assert later["members_active_share"] == 0.75  # p5 attended only G1, more than 365 days before
    area = kpi_values(session, REGION, "relevant_competence", date(2021, 6, 30))
    assert (area["gatherings_held"], area["attendances"], area["cross_sector_ties"]) == (1, 3, 4)  # G1 and X1 are of this area


def test_information_flow_uses_the_latest_reach(session):
    v = kpi_values(session, REGION, None, date(2021, 6, 30))
    assert (v["communications_published"], v["communication_reach"]) == (1, 150)
    v = kpi_values(session, REGION, None, date(2021, 12, 31))
    assert (v["communications_published"], v["communication_reach"]) == (2, 190)
    assert kpi_values(session, REGION, "relevant_competence", date(2021, 12, 31))["communications_published"] == 0


def test_measure_kpis(session):
    v = kpi_values(session, REGION, None, date(2021, 6, 30))
    assert [v[k] for k in ("measures_proposed", "measures_adopted", "measures_rejected", "measures_anchored",
                           "measures_completed")] == [3, 1, 1, 1, 0]
    assert v["adoption_rate"] == 0.5
    assert v["median_days_to_decision"] == 52.5  # 45 and 60 days
    inclusion = kpi_values(session, REGION, "inclusion", date(2021, 6, 30))
    assert (inclusion["measures_proposed"], inclusion["adoption_rate"], inclusion["median_days_to_decision"]) == (2, 0.0, 60)
    assert kpi_values(session, REGION, None, date(2020, 12, 31))["adoption_rate"] == 1.0


def test_effects_sum_the_reports_not_superseded(session):
    v = kpi_values(session, REGION, None, date(2021, 6, 30))
    assert v["effect.apprenticeships"] == 11  # R1 4 + R3 7, R2 superseded by R3
    assert v["effect.evu_participants"] == 0
    assert v["effect_target_attainment"] == 1.0
    before = kpi_values(session, REGION, None, date(2021, 5, 31))
    assert (before["effect.apprenticeships"], before["effect_target_attainment"]) == (4, 0.0)
    assert kpi_values(session, REGION, "inclusion", date(2021, 6, 30))["effect.apprenticeships"] == 0


@pytest.mark.parametrize("derive", [True, False], ids=["batch by batch", "derived at once"])
def test_an_expected_effect_is_reached_only_by_reported_values(tmp_path, derive):
    # A decrease target (10 → 5 people dropping out) is met by a reported total of 4, not by nothing reported.
    h = History()
    h.propose("X9", "inclusion", date(2021, 1, 5))
    h.expect("E9", "X9", "inclusion", "people_included", 10, 5, date(2021, 1, 10))
    h.expect("E8", "X9", "inclusion", "apprenticeships", 0, 3, date(2021, 1, 10))
    h.report("R9", "X9", "inclusion", "people_included", 4, date(2021, 3, 31))
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    metadata.create_all(engine)
    with Session(engine) as s:
        apply_envelopes(s, h.events, ["ostfold"], derive=derive)
        for read in (kpi_values, kpi_values_from_facts):
            assert read(s, REGION, None, date(2021, 2, 28))["effect_target_attainment"] == 0.0, read
            assert read(s, REGION, None, date(2021, 3, 31))["effect_target_attainment"] == 0.5, read
            assert read(s, REGION, "inclusion", date(2021, 3, 31))["effect_target_attainment"] == 0.5, read
    engine.dispose()


@pytest.mark.parametrize("derive", [True, False], ids=["batch by batch", "derived at once"])
def test_members_count_in_their_organisations_registered_sector(tmp_path, derive):
    h = History()
    h.group("g1", None)
    for oid in ("o1", "o2"):
        h.org(oid, "county")
        h.person(f"p-{oid}", oid, "county")
        h.join(f"m-{oid}", "g1", f"p-{oid}", oid, "county", date(2021, 1, 4))
    h.org_update("o2", "municipality")  # after its member joined: the member now counts as municipal
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    metadata.create_all(engine)
    with Session(engine) as s:
        apply_envelopes(s, h.events, ["ostfold"], batch_size=1, derive=derive)
        for read in (kpi_values, kpi_values_from_facts):
            v = read(s, REGION, None, date(2021, 6, 30))
            assert (v["sectors_represented"], v["sector_diversity"]) == (2, pytest.approx(1.0)), read
    engine.dispose()


@pytest.mark.parametrize("derive", [True, False], ids=["batch by batch", "derived at once"])
def test_a_change_of_role_sector_or_focus_area_counts_from_its_day_on(tmp_path, derive):
    # Registered in 2020 for memberships that began in 2019: a registration holds for the whole past. The updates
    # carry no business date, so each counts from the Norwegian day of its CloudEvents time on, not for the past.
    from kf.contracts import membership as mb
    h = History()
    h.group("g1", "inclusion")
    for oid in ("o1", "o2"):
        h.org(oid, "county")
        h.person(f"p-{oid}", oid, "county")
        h.join(f"m-{oid}", "g1", f"p-{oid}", oid, "county", date(2019, 6, 3))
    h.add(mb.PersonUpdated(person_id="p-o1", organisation_id="o1", sector="county", role_kind="leader"), "p-o1",
          at=datetime(2021, 3, 9, 23, 30, tzinfo=UTC))  # 00:30 on 10 March in Oslo
    h.add(mb.OrganisationUpdated(organisation_id="o2", name="Org o2", sector="municipality"), "o2",
          at=datetime(2021, 5, 1, 9, tzinfo=UTC))
    h.add(mb.GroupUpdated(group_id="g1", name="Group g1", kind="competence", focus_area="lifelong_learning"), "g1",
          at=datetime(2021, 9, 1, 9, tzinfo=UTC))
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    metadata.create_all(engine)
    with Session(engine) as s:
        apply_envelopes(s, h.events, ["ostfold"], batch_size=1, derive=derive)
        for read in (kpi_values, kpi_values_from_facts):
            def v(kpi, on, focus=None):
                return read(s, REGION, focus, on)[kpi]
            assert (v("members", date(2019, 6, 3)), v("decision_maker_share", date(2019, 6, 3))) == (2, 0.0), read
            assert v("decision_maker_share", date(2021, 3, 9)) == 0.0, read
            assert v("decision_maker_share", date(2021, 3, 10)) == 0.5, read
            assert v("sectors_represented", date(2021, 4, 30)) == 1, read
            assert v("sectors_represented", date(2021, 5, 1)) == 2, read
            assert v("sector_diversity", date(2021, 5, 1)) == pytest.approx(1.0), read
            for on, inclusion, lifelong in ((date(2019, 6, 3), 2, 0), (date(2021, 8, 31), 2, 0), (date(2021, 9, 1), 0, 2)):
                assert (v("members", on, "inclusion"), v("members", on, "lifelong_learning")) == (inclusion, lifelong), (read, on)
                assert (v("organisations", on, "inclusion"), v("organisations", on, "lifelong_learning")) == (inclusion, lifelong)
            assert v("members", date(2021, 9, 1)) == 2, read
        assert org_sectors(s, "ostfold", date(2021, 4, 30)) == {"o1": "county", "o2": "county"}
        assert org_sectors(s, "ostfold", date(2021, 5, 1)) == {"o1": "county", "o2": "municipality"}
    engine.dispose()


def test_a_communication_counts_on_its_norwegian_calendar_day(tmp_path):
    from kf.contracts import events as ee
    h = History()
    # 00:30 on 1 March in Oslo (winter time, UTC+1) is 23:30 on 28 February in UTC.
    h.add(ee.CommunicationPublished(communication_id="c-midnight", channel="web_article", title="Nytt fra forumet",
                                    published_at=datetime(2021, 2, 28, 23, 30, tzinfo=UTC), audience=ee.Audience(everyone=True),
                                    recipients=40), "c-midnight")
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    metadata.create_all(engine)
    with Session(engine) as s:
        apply_envelopes(s, h.events, ["ostfold"])
        for read in (kpi_values, kpi_values_from_facts):
            assert read(s, REGION, None, date(2021, 2, 28))["communications_published"] == 0, read
            assert read(s, REGION, None, date(2021, 3, 1))["communications_published"] == 1, read
    engine.dispose()


def test_a_membership_is_cut_only_where_a_dated_value_changes():
    from services.metrics.counters import segments
    d = date
    history = [(d(2020, 1, 1), "county"), (d(2021, 1, 1), "county"), (d(2022, 1, 1), "business"), (d(2024, 1, 1), "union")]
    # A row on or before the start sets the value; a row repeating the value cuts nothing; a row at the end is left out.
    assert list(segments(d(2021, 6, 1), d(2024, 1, 1), history)) == [
        (d(2021, 6, 1), d(2022, 1, 1), "county"), (d(2022, 1, 1), d(2024, 1, 1), "business")]
    assert list(segments(d(2019, 1, 1), None, history))[0] == (d(2019, 1, 1), d(2022, 1, 1), "county")  # first holds before
    assert list(segments(d(2019, 1, 1), None, [(None, "leader")])) == [(d(2019, 1, 1), None, "leader")]


def test_formula_helpers():
    assert shannon_evenness([5, 5, 5]) == pytest.approx(1.0)
    assert shannon_evenness([7]) == 0.0 and shannon_evenness([]) is None
    # Two databases may list the same sectors in another order: the evenness must be the same float, or two screens
    # (or a replica and a replay) disagree in the last digit. Summed naively, these orders gave three values.
    counts, rng = [3, 7, 1, 12, 5, 2, 9, 4, 6, 48], random.Random(1)
    assert len({shannon_evenness(rng.sample(counts, len(counts))) for _ in range(200)}) == 1
    assert density(3, 3) == 1.0 and density(1, 4) == pytest.approx(1 / 6) and density(0, 1) is None
    assert median_or_none([3, 1, 2]) == 2 and median_or_none([]) is None


@pytest.mark.parametrize("batch_size", [1, 1000], ids=["one-by-one", "one-batch"])
def test_a_corrected_attendance_list_replaces_the_ties_it_implied(tmp_path, batch_size):
    h = History()
    h.held("G", date(2021, 3, 1), [("p1", "o1", "county"), ("p2", "o2", "business"), ("p3", "o3", "union")], ("inclusion",))
    h.held("H", date(2021, 4, 1), [("p1", "o1", "county"), ("p3", "o3", "union")], ("inclusion",))
    h.held("G", date(2021, 3, 1), [("p1", "o1", "county"), ("p2", "o2", "business")], ("inclusion",))  # p3 was not there
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    metadata.create_all(engine)
    with Session(engine) as s:
        apply_envelopes(s, h.events, ["ostfold"], batch_size=batch_size)
        for focus in (None, "inclusion"):
            march = kpi_values(s, REGION, focus, date(2021, 3, 31))
            april = kpi_values(s, REGION, focus, date(2021, 4, 30))
            assert (march["cross_sector_ties"], march["attendances"]) == (1, 2)  # only o1-o2 in March
            assert (april["cross_sector_ties"], april["attendances"]) == (2, 4)  # o1-o3 from H in April
    engine.dispose()


@pytest.mark.parametrize("batch_size", [1, 1000], ids=["one-by-one", "one-batch"])
def test_a_revised_measure_drops_the_ties_of_a_partner_it_no_longer_has(tmp_path, batch_size):
    h = History()
    for oid, sector in (("o1", "county"), ("o2", "business"), ("o3", "union")):
        h.org(oid, sector)
    h.propose("X", "inclusion", date(2021, 1, 1), ("o1", "o2", "o3"))
    h.revise("X", "inclusion", date(2021, 2, 1), ("o1", "o2"))  # o3 withdrew: X ties o1 and o2 only
    h.propose("Y", "inclusion", date(2021, 5, 1), ("o2", "o3"))
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    metadata.create_all(engine)
    with Session(engine) as s:
        apply_envelopes(s, h.events, ["ostfold"], batch_size=batch_size)
        for focus in (None, "inclusion"):
            assert kpi_values(s, REGION, focus, date(2021, 3, 31))["cross_sector_ties"] == 1  # o1-o2 since January
            assert kpi_values(s, REGION, focus, date(2021, 6, 30))["cross_sector_ties"] == 2  # o2-o3 from Y in May
    engine.dispose()


@pytest.mark.parametrize("batch_size", [1, 1000], ids=["one-by-one", "one-batch"])
def test_a_measure_tie_crosses_sectors_once_an_organisation_moves_to_another_sector(tmp_path, batch_size):
    h = History()
    h.org("o1", "county")
    h.org("o2", "county")
    h.propose("X", "inclusion", date(2021, 1, 1), ("o1", "o2"))
    h.held("G", date(2021, 2, 1), [("p1", "o1", "county"), ("p2", "o2", "county")], ("inclusion",))
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    metadata.create_all(engine)
    with Session(engine) as s:
        apply_envelopes(s, h.events, ["ostfold"], batch_size=batch_size)
        assert kpi_values(s, REGION, "inclusion", date(2021, 6, 30))["cross_sector_ties"] == 0  # one sector
        later = History(start=h.clock)
        later.org_update("o2", "business")  # the registry now says business: the measure tie crosses sectors
        apply_envelopes(s, later.events, ["ostfold"], batch_size=batch_size)
        for focus in (None, "inclusion"):
            assert kpi_values(s, REGION, focus, date(2021, 6, 30))["cross_sector_ties"] == 1
            assert kpi_values(s, REGION, focus, date(2020, 12, 31))["cross_sector_ties"] == 0
    engine.dispose()


@pytest.mark.parametrize("derive", [True, False], ids=["batch by batch", "derived at once"])
@pytest.mark.parametrize("batch_size", [1, 1000], ids=["one-by-one", "one-batch"])
def test_a_measure_tie_crosses_sectors_from_the_first_day_its_organisations_differ(tmp_path, batch_size, derive):
    from services.metrics.queries import source_ties
    h = History()
    for oid, sector in (("o1", "county"), ("o2", "county"), ("o3", "business"), ("o4", "municipality")):
        h.org(oid, sector)
    h.org_update("o4", "county", at=datetime(2020, 6, 1, 9, tzinfo=UTC))  # before Z: o1 and o4 are one sector at Z
    h.propose("X", "inclusion", date(2021, 1, 1), ("o1", "o2"))  # one sector on its date
    h.propose("Y", "inclusion", date(2021, 1, 1), ("o1", "o3"))  # two sectors on its date
    h.propose("Z", "inclusion", date(2021, 1, 1), ("o1", "o4"))
    h.org_update("o2", "business", at=datetime(2022, 3, 1, 9, tzinfo=UTC))  # from here X ties two sectors
    h.org_update("o3", "county", at=datetime(2022, 6, 1, 9, tzinfo=UTC))  # Y crossed already: it stays counted
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    metadata.create_all(engine)
    with Session(engine) as s:
        apply_envelopes(s, h.events, ["ostfold"], batch_size=batch_size, derive=derive)
        for read in (kpi_values, kpi_values_from_facts):
            for focus in (None, "inclusion"):
                # A later move of o2 does not rewrite 2021: earlier as-of dates keep their numbers.
                for on, expected in ((date(2021, 6, 30), 1), (date(2022, 2, 28), 1), (date(2022, 3, 1), 2),
                                     (date(2022, 12, 31), 2)):
                    assert read(s, REGION, focus, on)["cross_sector_ties"] == expected, (read, focus, on)
        crossing = {on: {(a, b) for a, b, crosses, _ in source_ties(s, "ostfold", on) if crosses}
                    for on in (date(2021, 6, 30), date(2022, 3, 1))}
        assert crossing == {date(2021, 6, 30): {("o1", "o3")}, date(2022, 3, 1): {("o1", "o2"), ("o1", "o3")}}
    engine.dispose()


def test_sector_times_find_the_first_day_two_organisations_differ():
    from services.metrics.tiesectors import SectorTimes
    d = date
    times = SectorTimes({("r", "a"): [(d(2020, 1, 1), "county"), (d(2021, 1, 1), "county"), (d(2022, 1, 1), "union"),
                                      (d(2023, 1, 1), "county")],
                         ("r", "b"): [(d(2020, 5, 1), "county")], ("r", "c"): [(d(2020, 1, 1), "union")]})
    assert times.cross_on("r", "a", "b", d(2019, 1, 1)) == d(2022, 1, 1)  # a's first value holds before its first row
    assert times.cross_on("r", "a", "b", d(2022, 6, 1)) == d(2022, 6, 1)  # differ on the tie's own date
    assert times.cross_on("r", "a", "b", d(2023, 1, 1)) is None  # one sector again, and never after
    assert times.cross_on("r", "a", "c", d(2022, 2, 1)) == d(2023, 1, 1)  # one sector on its date, two a year later
    assert times.cross_on("r", "b", "c", d(2019, 1, 1)) == d(2019, 1, 1)  # neither moved
    assert times.cross_on("r", "a", "unknown", d(2019, 1, 1)) is None  # an unregistered organisation has no sector
