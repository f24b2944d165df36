"""Figures, units and dates written the reader's way, and tables that follow the as-of date or stay away when
there is nothing to list (against the in-process fake services)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.ui import fakes

pytestmark = pytest.mark.timeout(120)


def test_the_all_kpis_table_writes_units_and_dates_in_the_chosen_language(fake, fake_dashboard):
    at = fake_dashboard().run()
    at.date_input(key="as_of").set_value(date(2025, 6, 30)).run()
    assert "Tall per 30.06.2025; endring siden forrige kvartal (31.03.2025)." in [c.value for c in at.caption]
    table = at.dataframe[0].value.set_index("Id")
    assert table.loc["members", "Enhet"] == "medlemmer" and table.loc["adoption_rate", "Enhet"] == "andel"
    assert table.loc["median_days_to_decision", "Enhet"] == "dager"
    assert set(table["Per dato"]) == {"30.06.2025"}

    at.radio(key="lang").set_value("en").run()
    table = at.dataframe[0].value.set_index("Id")
    assert table.loc["members", "Unit"] == "members" and table.loc["cross_sector_ties", "Unit"] == "pairs"
    assert set(table["As of"]) == {"2025-06-30"}


@pytest.mark.parametrize(("before", "shown"), [(0.6633, "+0,3 prosentpoeng"), (0.66668, "±0"), (0.7, "-3,3 prosentpoeng")])
def test_the_change_of_a_share_is_given_in_percentage_points_and_a_change_too_small_to_show_as_none(
        fake, fake_dashboard, before, shown):
    def kpis(params):
        earlier = params["as_of"] < date.today().isoformat()
        return 200, fakes.kpis(params, effect_target_attainment=before if earlier else 0.6667)

    fake.routes[("metrics", "/kpis")] = kpis
    at = fake_dashboard().run()
    [metric] = [m for m in at.metric if m.label == "Forventede effekter nådd"]
    assert (metric.value, metric.proto.delta) == ("67%", shown)
    if shown == "±0":  # grey and without an arrow, as when nothing changed
        [same] = [m for m in at.metric if m.label == "Medlemskap"]
        assert (metric.proto.color, metric.proto.direction) == (same.proto.color, same.proto.direction)


MEASURE = {"id": "m1", "title": "Lærlingløft", "focus_area": "relevant_competence", "state": "completed",
           "proposed_on": "2025-03-10", "state_since": "2025-10-01", "decided_on": "2025-05-01"}


def test_the_measures_table_and_a_measures_state_write_dates_the_readers_way(fake, fake_dashboard):
    fake.routes[("measures", "/measures")] = lambda p: (200, fakes.page([MEASURE]))
    at = fake_dashboard().run()
    at.switch_page("pages/measures.py").run()
    row = at.dataframe[0].value.iloc[0]
    assert [row["Foreslått"], row["Status siden"], row["Besluttet"]] == ["10.03.2025", "01.10.2025", "01.05.2025"]
    assert "Status: Fullført siden 01.10.2025" in [c.value for c in at.caption]
    at.radio(key="lang").set_value("en").run()
    row = at.dataframe[0].value.iloc[0]
    assert [row["Proposed"], row["State since"], row["Decided"]] == ["2025-03-10", "2025-10-01", "2025-05-01"]


def test_the_measures_table_lists_only_what_was_proposed_by_the_as_of_date(fake, fake_dashboard):
    fake.routes[("measures", "/measures")] = lambda p: (200, fakes.page([MEASURE]))
    at = fake_dashboard().run()
    at.switch_page("pages/measures.py").run()
    assert list(at.dataframe[0].value["Tiltak"]) == ["Lærlingløft"]
    at.date_input(key="as_of").set_value(date(2024, 12, 31)).run()
    assert at.dataframe[0].value.empty
    assert "1 tiltak foreslått etter 31.12.2024 er ikke med." in [c.value for c in at.caption]


def test_a_region_without_organisations_gets_no_empty_bridging_table_or_csv(fake, fake_dashboard):
    at = fake_dashboard().run()
    at.switch_page("pages/network.py").run()
    assert not at.exception
    assert all(len(d.value.columns) for d in at.dataframe), [list(d.value.columns) for d in at.dataframe]
    assert not at.get("download_button")
    assert "Ingen organisasjoner med aktive medlemmer ennå." in [i.value for i in at.info]
