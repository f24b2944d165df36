"""Goals as the steering group reads them: in their KPI's unit, named by the region, explained in its language,
and revisable without losing what could not be shown (against the in-process fake services)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.ui import fakes

pytestmark = pytest.mark.timeout(120)


def metric(at, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}; metrics: {[m.label for m in at.metric]}"
    return values[0]


def share_goal() -> dict:
    goal = fakes.goal("g1", "mandate_share", "Flere med mandat", None, current_value=0.4567, forecast=0.62)
    goal.update(baseline_value=0.40, target_value=0.60)
    return goal


def test_a_goal_on_a_share_kpi_is_shown_in_percent_on_the_goals_page_and_the_overview(fake, fake_dashboard):
    fake.routes[("metrics", "/goals")] = lambda p: (200, [share_goal()])
    at = fake_dashboard().run()
    assert "Prognose 62% mot mål 60% innen 31.12.2026" in [c.value for c in at.caption]

    at.switch_page("pages/goals.py").run()
    assert not at.exception and not at.warning
    assert [metric(at, label) for label in ("Utgangsverdi", "Nå", "Målverdi", "Prognose")] == ["40%", "46%", "60%", "62%"]
    row = at.dataframe[0].value.iloc[0]
    assert [row["Utgangsverdi"], row["Nå"], row["Målverdi"], row["Prognose"]] == ["40%", "46%", "60%", "62%"]
    assert [row["Utgangsdato"], row["Måldato"]] == ["01.01.2025", "31.12.2026"]


def test_an_as_of_date_before_the_baseline_explains_why_there_is_no_chart(fake, fake_dashboard):
    at = fake_dashboard().run()
    at.switch_page("pages/goals.py").run()
    at.date_input(key="as_of").set_value(date(2024, 12, 31)).run()
    assert not at.exception
    assert not at.warning, [w.value for w in at.warning]
    assert any("31.12.2024 ligger før målets utgangsdato 01.01.2025" in i.value for i in at.info), [i.value for i in at.info]
    assert not [c for c in fake.calls if c["path"].endswith("/series") and c["params"]["to"] < c["params"]["from"]]


def test_an_effect_goal_is_named_by_the_region_on_a_first_visit_and_in_the_chosen_language(fake, fake_dashboard):
    fake.routes[("metrics", "/goals")] = lambda p: (200, [fakes.goal("g1", "effect.apprenticeships", "Flere læreplasser")])
    at = fake_dashboard().run()
    at.switch_page("pages/goals.py").run()
    assert list(at.dataframe[0].value["Nøkkeltall"]) == ["Læreplasser"]
    at.radio(key="lang").set_value("en").run()
    assert list(at.dataframe[0].value["KPI"]) == ["Apprenticeship places"]


def test_revising_a_goal_while_the_membership_service_is_down_keeps_its_focus_area(fake, fake_dashboard):
    fake.routes[("membership", "/focus-areas")] = lambda p: (503, {"error": "unavailable", "message": "down"})
    fake.routes[("metrics", "/goals/g1")] = lambda p: (200, fakes.goal())
    at = fake_dashboard().run()
    at.switch_page("pages/goals.py").run()
    at.text_input(key="goal_revise_g1_title").input("Flere medlemmer (revidert)")
    at.button(key="FormSubmitter:goal_revise_g1-Lagre revisjon").click().run()
    assert any("revidert" in s.value for s in at.success), [e.value for e in at.error]
    [put] = fake.requests_to("metrics", "PUT")
    assert put["body"]["focus_area"] == "relevant_competence"


def test_the_goal_explanation_is_a_sentence_in_the_readers_language(fake, fake_dashboard):
    from services.metrics.goals import GoalSpec, evaluate

    spec = GoalSpec(kpi="members", baseline_value=1000, baseline_date=date(2025, 1, 1), target_value=1500,
                    target_date=date(2026, 12, 31), method="linear")
    evaluation = evaluate(spec, 1234.0, [(date(2025, m, 28), 1000.0 + 20 * m) for m in range(1, 7)], date(2025, 6, 30))
    numbers = {k: v for k, v in vars(evaluation).items() if k != "as_of"}
    fake.routes[("metrics", "/goals")] = lambda p: (200, [fakes.goal(**numbers)])
    at = fake_dashboard().run()
    at.switch_page("pages/goals.py").run()
    captions = [c.value for c in at.caption]
    assert not any("least-squares" in c for c in captions), captions
    assert any(c.startswith("Trenden gjennom 6 månedsverdier stiger med 242,76 per år og gir prognosen 1\u202f486,63 på "
                            "måldatoen 31.12.2026; R = ") for c in captions), captions
    at.radio(key="lang").set_value("en").run()
    captions = [c.value for c in at.caption]
    assert any(c.startswith("The trend through 6 month-end values rises by 242.76 a year and gives the forecast 1,486.63 "
                            "on the target date 2026-12-31") for c in captions), captions


def test_a_goal_without_enough_data_says_so_in_norwegian(fake, fake_dashboard):
    fake.routes[("metrics", "/goals")] = lambda p: (200, [fakes.goal(status="insufficient_data", observations=[],
                                                                     forecast=None, ratio=None)])
    at = fake_dashboard().run()
    at.switch_page("pages/goals.py").run()
    assert ("Det finnes 0 månedsverdier siden utgangsdatoen 01.01.2025; det trengs minst 2 for å lage en prognose."
            in [c.value for c in at.caption])


# A goal set on a focus area the region's configuration has since lost (removed or renamed): the metrics service
# still returns and evaluates it, and refuses KPIs and series for that area as it does for any unknown area.
GONE = "apprenticeship_pathways"


def goal_on_a_removed_area() -> dict:
    return fakes.goal("g2", "members", "Flere lærlinger", GONE, status="acceleration_needed", current_value=1100.0,
                      forecast=1400.0)


def card(at, heading: str) -> list[tuple[str, str]]:
    """The (type, text) of each element in the overview card headed `heading`."""
    def blocks(node):
        for child in getattr(node, "children", {}).values():
            if child.type == "flex_container":
                yield child
            yield from blocks(child)

    for block in blocks(at.main):
        elements = [(c.type, str(getattr(c, "value", ""))) for c in block.children.values()]
        if ("subheader", heading) in elements:
            return elements
    raise AssertionError(f"no card {heading!r}; headings: {[s.value for s in at.subheader]}")


def test_a_goal_on_a_focus_area_no_longer_configured_has_its_own_card_on_the_overview(fake, fake_dashboard):
    fake.routes[("metrics", "/goals")] = lambda p: (200, [fakes.goal(), goal_on_a_removed_area()])
    at = fake_dashboard().run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert card(at, GONE) == [
        ("subheader", GONE),
        ("info", f"Hovedmålområdet «{GONE}» er ikke lenger med i regionens oppsett, men målene som er satt på det "
                       "finnes fortsatt. Revider dem til et annet område eller avslutt dem under Mål."),
        ("markdown", "**Flere lærlinger**"), ("markdown", ":orange-badge[Må akselerere]"), ("progress", "50"),
        ("caption", "Prognose 1\u202f400 mot mål 1\u202f500 innen 31.12.2026")]
    assert ("markdown", "**Flere medlemmer**") in card(at, "Tilstrekkelig relevant kompetanse")
    assert not [c for c in fake.calls if c["params"].get("focus_area") == GONE]

    at.radio(key="lang").set_value("en").run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    assert card(at, GONE)[1:4] == [
        ("info", f"The focus area “{GONE}” is no longer in the region's configuration, but the goals set on it "
                       "still exist. Revise them to another area or retire them under Goals."),
        ("markdown", "**Flere lærlinger**"), ("markdown", ":orange-badge[Acceleration needed]")]


def test_a_goal_on_a_focus_area_no_longer_configured_is_marked_on_the_goals_page(fake, fake_dashboard):
    fake.routes[("metrics", "/goals")] = lambda p: (200, [fakes.goal(), goal_on_a_removed_area()])
    at = fake_dashboard().run()
    at.switch_page("pages/goals.py").run()
    at.selectbox(key="goal_detail_choice").set_value("g2").run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    table = at.dataframe[0].value.set_index("Mål")
    assert table.loc["Flere lærlinger", "Hovedmålområde"] == f"{GONE} (ikke lenger i regionens oppsett)"
    assert table.loc["Flere medlemmer", "Hovedmålområde"] == "Tilstrekkelig relevant kompetanse"
    assert [table.loc["Flere lærlinger", c] for c in ("Status", "Nå", "Prognose")] == ["Må akselerere", "1\u202f100",
                                                                                     "1\u202f400"]
    assert any(i.value.startswith(f"Hovedmålområdet «{GONE}» er ikke lenger med i regionens oppsett") for i in at.info)
    assert [metric(at, label) for label in ("Nå", "Målverdi", "Prognose")] == ["1\u202f100", "1\u202f500", "1\u202f400"]
    assert ("Ingen graf: nøkkeltalltjenesten gir ikke utviklingen for et hovedmålområde som ikke er i regionens oppsett."
            in [c.value for c in at.caption])

    at.radio(key="lang").set_value("en").run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    table = at.dataframe[0].value.set_index("Goal")
    assert table.loc["Flere lærlinger", "Focus area"] == f"{GONE} (no longer in the region's configuration)"
    assert table.loc["Flere lærlinger", "Status"] == "Acceleration needed"
    assert any(i.value.startswith(f"The focus area “{GONE}” is no longer in the region's configuration") for i in at.info)
    assert metric(at, "Current") == "1,100"


def test_every_goal_is_in_exactly_one_group_whatever_the_configuration_says():
    from ui.goalgroups import group_goals

    goals = [fakes.goal("g1"), fakes.goal("g2", focus_area=None), fakes.goal("g3", focus_area=GONE),
             fakes.goal("g4", focus_area="")]
    areas = [{"id": f["id"], "name": f["name_en"]} for f in fakes.REGION["focus_areas"]]
    for configured in (areas, [], None):
        groups = group_goals(goals, configured, "The whole forum")
        assert sorted(g["goal_id"] for group in groups for g in group.goals) == ["g1", "g2", "g3", "g4"]
    groups = group_goals(goals, areas, "The whole forum")
    assert [(g.area_id, g.configured, [x["goal_id"] for x in g.goals]) for g in groups] == [
        ("relevant_competence", True, ["g1"]), ("lifelong_learning", True, []), ("inclusion", True, []),
        (None, True, ["g2", "g4"]), (GONE, False, ["g3"])]
    assert all(g.configured for g in group_goals(goals, None, "The whole forum"))
