"""Each dashboard page against the running services: what a user sees equals what the APIs say."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import ui_env
from tests.ui.seed import Seeded
from tests.ui.stack import Stack

pytestmark = pytest.mark.timeout(120)


def api(stack: Stack, service: str, path: str, **params):
    with stack.client(service, role="viewer") as http:
        response = http.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def kpi(stack: Stack, kpi_id: str, **params) -> float:
    return next(k["value"] for k in api(stack, "metrics", "/kpis", **params) if k["id"] == kpi_id)


def shown(value: float, share: bool = False) -> str:
    """How the Norwegian dashboard writes a whole number or a share."""
    return f"{value:.0%}" if share else f"{int(value):,}".replace(",", "\u202f")


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; metrics: {[m.label for m in at.metric]}"
    return values[0]


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def element_after(at: AppTest, key: str):
    """The element right below the widget `key` in its own block (form, column, tab)."""
    def search(block):
        children = list(block.children.values())
        for i, child in enumerate(children):
            if getattr(child, "key", None) == key:
                return children[i + 1] if i + 1 < len(children) else None
            if hasattr(child, "children") and (found := search(child)) is not None:
                return found
        return None
    return search(at.main)


def field_error(at: AppTest, key: str) -> str:
    below = element_after(at, key)
    assert type(below).__name__ == "Error", f"no error below {key}: {below!r}"
    return below.value


def no_problems(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.warning, [w.value for w in at.warning]


@pytest.fixture
def app(stack: Stack, seeded: Seeded, dashboard) -> AppTest:
    at = dashboard(ui_env(stack.urls)).run()
    no_problems(at)
    return at


def test_overview_shows_the_metrics_api_numbers_in_norwegian_and_in_english_after_the_switch(app, stack):
    assert [h.value for h in app.header] == ["Oversikt"]
    assert metric(app, "Medlemskap") == shown(kpi(stack, "members"))
    assert metric(app, "Samlinger holdt") == shown(kpi(stack, "gatherings_held"))
    apprenticeships = kpi(stack, "effect.apprenticeships", focus_area="relevant_competence")
    assert metric(app, "Læreplasser") == shown(apprenticeships)
    goals = {g["title"]: g["evaluation"]["status"] for g in api(stack, "metrics", "/goals")}
    norwegian = {"limited_progress": "Begrenset fremgang", "on_track": "I rute", "achieved": "Nådd",
                 "acceleration_needed": "Må akselerere", "deterioration": "Går feil vei",
                 "insufficient_data": "For lite data"}
    assert "Ti medlemskap" in texts(app) and norwegian[goals["Ti medlemskap"]] in texts(app)
    assert {s.value for s in app.subheader} >= {"Tilstrekkelig relevant kompetanse", "Livslang læring"}
    table = app.dataframe[0].value.set_index("Id")
    assert table.loc["members", "Verdi"] == kpi(stack, "members")
    assert any(b.label == "Last ned CSV" for b in app.get("download_button"))

    app.radio(key="lang").set_value("en").run()
    no_problems(app)
    assert [h.value for h in app.header] == ["Overview"]
    assert metric(app, "Members") == f"{int(kpi(stack, 'members')):,}"
    assert metric(app, "Apprenticeship places") == f"{int(apprenticeships):,}"
    assert {s.value for s in app.subheader} >= {"Sufficient relevant competence", "Lifelong learning"}
    assert goals["Ti medlemskap"].replace("_", " ") in texts(app).lower()


def test_goals_page_shows_the_numbers_behind_a_status_and_keeps_a_goal_without_direction_out(app, stack):
    app.switch_page("pages/goals.py").run()
    no_problems(app)
    goal = next(g for g in api(stack, "metrics", "/goals") if g["title"] == "Ti medlemskap")
    app.selectbox(key="goal_detail_choice").set_value(goal["goal_id"]).run()
    assert metric(app, "Nå") == shown(goal["evaluation"]["current_value"])
    assert metric(app, "Målverdi") == shown(goal["target_value"])
    table = app.dataframe[0].value
    assert set(table["Mål"]) == {"Ti medlemskap", "40 læreplasser"}
    assert any(b.label == "Last ned CSV" for b in app.get("download_button"))

    # Baseline and target both 0: the API refuses it and the error sits right below the target field.
    app.text_input(key="goal_set_title").input("Flere bånd")
    app.button(key="FormSubmitter:goal_set-Sett mål").click().run()
    assert "target_value must differ" in field_error(app, "goal_set_target_value")
    assert "Flere bånd" not in {g["title"] for g in api(stack, "metrics", "/goals")}

    app.number_input(key="goal_set_target_value").set_value(20)
    app.button(key="FormSubmitter:goal_set-Sett mål").click().run()
    assert any("Flere bånd" in s.value for s in app.success), [e.value for e in app.error]
    created = next(g for g in api(stack, "metrics", "/goals") if g["title"] == "Flere bånd")

    app.run()
    app.selectbox(key="goal_revise_choice").set_value(created["goal_id"]).run()
    prefix = f"goal_revise_{created['goal_id']}"
    assert app.number_input(key=f"{prefix}_target_value").value == 20
    app.number_input(key=f"{prefix}_target_value").set_value(30)
    app.button(key=f"FormSubmitter:{prefix}-Lagre revisjon").click().run()
    assert any("revidert" in s.value for s in app.success), [e.value for e in app.error]
    assert next(g for g in api(stack, "metrics", "/goals") if g["goal_id"] == created["goal_id"])["target_value"] == 30

    app.selectbox(key="goal_retire_choice").set_value(created["goal_id"]).run()
    app.button(key="FormSubmitter:goal_retire-Avslutt målet").click().run()
    assert any("Flere bånd" in s.value for s in app.success)
    assert "Flere bånd" not in {g["title"] for g in api(stack, "metrics", "/goals")}


def test_measures_page_shows_the_pipeline_the_table_and_a_measures_history(app, stack):
    app.switch_page("pages/measures.py").run()
    no_problems(app)
    assert metric(app, "Vedtaksandel") == shown(kpi(stack, "adoption_rate"), share=True)
    assert metric(app, "Tiltak avslått") == shown(kpi(stack, "measures_rejected"))
    assert app.get("plotly_chart"), "the pipeline funnel is drawn"
    table = app.dataframe[0].value
    assert set(table["Tiltak"]) == {"Flere læreplasser i industrien", "Kompetanseløft for tillitsvalgte"}
    assert "Borregaard AS" in set(table["Ansvarlig organisasjon"])

    app.multiselect(key="measures_states").select("proposed").run()
    assert list(app.dataframe[0].value["Tiltak"]) == ["Kompetanseløft for tillitsvalgte"]
    app.multiselect(key="measures_states").unselect("proposed").run()
    measure = next(m for m in api(stack, "measures", "/measures")["items"] if m["state"] == "in_progress")
    app.selectbox(key="measures_choice").set_value(measure["id"]).run()
    history = app.dataframe[1].value
    assert list(history["Hendelse"])[:4] == ["Foreslått", "Innspill mottatt", "Bearbeidet", "Vedtatt"]


def test_network_page_shows_ties_bridges_and_sectors_without_decision_makers(app, stack):
    app.switch_page("pages/network.py").run()
    no_problems(app)
    assert metric(app, "Bånd på tvers av sektorer") == shown(kpi(stack, "cross_sector_ties"))
    network = api(stack, "metrics", "/network")
    names = {o["id"]: o["name"] for o in api(stack, "membership", "/organisations")["items"]}
    frames = {tuple(df.value.columns): df.value for df in app.dataframe}
    bridging = next(f for cols, f in frames.items() if "Organisasjon" in cols)
    assert set(bridging["Organisasjon"]) == {names[n["id"]] for n in network["nodes"]}
    lacking = next(f for cols, f in frames.items() if "Situasjon" in cols)
    situation = dict(zip(lacking["Sektor"], lacking["Situasjon"]))
    assert situation["Frivillig sektor"] == "Ikke representert"
    without = [s["sector"] for s in network["sectors"] if s["decision_makers"] == 0]
    assert "university_college" in without and situation["Universitet og høgskole"].endswith("ingen ledere")
    assert "Fylkeskommune" not in situation  # the county has a leader in the forum


def test_gatherings_page_shows_gatherings_mixing_and_reach_by_audience(app, stack):
    app.switch_page("pages/gatherings.py").run()
    no_problems(app)
    assert metric(app, "Samlinger holdt") == shown(kpi(stack, "gatherings_held"))
    assert metric(app, "Rekkevidde") == shown(kpi(stack, "communication_reach"))
    reach = app.dataframe[0].value
    assert reach.to_dict("records") == [{"Målgruppe": "Alle", "Kanal": "Nyhetsbrev", "Antall": 1, "Mottakere": 120,
                                         "Visninger": 0}]
    assert len(app.get("plotly_chart")) == 2  # attendance over time, sector mixing


def test_register_shows_the_apis_validation_error_next_to_the_field_and_saves_when_fixed(app, stack):
    app.switch_page("pages/register.py").run()
    no_problems(app)
    before = api(stack, "membership", "/organisations")["total"]
    app.text_input(key="org_name").input("Fredrikstad Bryggeri AS")
    app.text_input(key="org_number").input("974760674")
    app.selectbox(key="org_sector").set_value("business")
    app.button(key="FormSubmitter:register_organisation-Registrer").click().run()
    assert "check digit" in field_error(app, "org_number")
    assert element_after(app, "org_name") is not None and type(element_after(app, "org_name")).__name__ != "Error"
    assert api(stack, "membership", "/organisations")["total"] == before

    app.text_input(key="org_number").input("974 760 673")
    app.button(key="FormSubmitter:register_organisation-Registrer").click().run()
    assert any("Fredrikstad Bryggeri AS" in s.value for s in app.success), [e.value for e in app.error]
    assert "Fredrikstad Bryggeri AS" in {o["name"] for o in api(stack, "membership", "/organisations", limit=500)["items"]}


def test_register_a_gathering_without_place_or_link_is_refused_by_the_events_service_at_the_place_field(app, stack):
    app.switch_page("pages/register.py").run()
    before = api(stack, "events", "/gatherings")["total"]
    app.text_input(key="gathering_title").input("Bedriftsbesøk hos Borregaard")
    app.button(key="FormSubmitter:register_gathering-Planlegg samling").click().run()
    assert "give a place, a link" in field_error(app, "gathering_place")
    assert api(stack, "events", "/gatherings")["total"] == before


def test_choosing_a_region_the_token_does_not_cover_says_so(stack, seeded, dashboard):
    at = dashboard(ui_env(stack.urls, regions="ostfold,vestfold-telemark")).run()
    assert [m.value for m in at.metric if m.label == "Medlemskap"] == ["5"]
    at.selectbox(key="region").set_value("vestfold-telemark").run()
    assert not at.exception and not at.metric
    assert any("nekter tilgang" in w.value and "vestfold-telemark" in w.value for w in at.warning)


def test_a_viewer_cannot_set_a_goal_and_is_told_which_role_it_needs(stack, seeded, dashboard):
    from kf.testing.fixtures import TOKENS

    at = dashboard(ui_env(stack.urls, token=TOKENS["viewer"])).run()
    at.switch_page("pages/goals.py").run()
    at.text_input(key="goal_set_title").input("Uten rett")
    at.number_input(key="goal_set_target_value").set_value(5)
    at.button(key="FormSubmitter:goal_set-Sett mål").click().run()
    assert not at.exception
    assert any("Ikke lagret (403)" in e.value and "admin" in e.value for e in at.error), [e.value for e in at.error]
    assert "Uten rett" not in {g["title"] for g in api(stack, "metrics", "/goals")}
