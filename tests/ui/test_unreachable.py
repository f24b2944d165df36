"""When a service cannot be reached or refuses the token, each page says which one and shows what it can."""

from __future__ import annotations

import pytest

from kf.testing.fixtures import TOKENS
from tests.ui.conftest import closed_url, ui_env
from tests.ui.seed import Seeded
from tests.ui.stack import Stack

PAGES = {
    "pages/overview.py": {"metrics", "membership"},
    "pages/goals.py": {"metrics", "membership"},
    "pages/measures.py": {"metrics", "membership", "measures"},
    "pages/network.py": {"metrics", "membership"},
    "pages/gatherings.py": {"metrics", "events"},
    "pages/register.py": {"membership"},
}


def test_every_page_names_each_unreachable_service_without_a_stack_trace(dashboard):
    at = dashboard(ui_env({})).run()
    for page, needs in PAGES.items():
        if page != "pages/overview.py":
            at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        warnings = [w.value for w in at.warning]
        named = {service for service in needs if any(f"({service}) svarer ikke" in w for w in warnings)}
        assert named == needs, (page, warnings)
        assert len(warnings) == len(set(warnings)), "each service is named once"
        assert at.header, f"{page} still shows its title"


def test_the_overview_keeps_the_focus_areas_when_only_the_metrics_service_is_down(stack: Stack, seeded: Seeded, dashboard):
    at = dashboard(ui_env({**stack.urls, "metrics": closed_url()})).run()
    assert not at.exception
    assert [w.value for w in at.warning if "(metrics)" in w.value] != []
    assert all("(membership)" not in w.value for w in at.warning)
    assert {s.value for s in at.subheader} == {"Tilstrekkelig relevant kompetanse", "Livslang læring",
                                                "Inkludering og integrering"}
    assert not at.metric, "no number is shown without the metrics service"


def test_a_refused_token_is_named_and_the_login_field_lets_the_user_in(stack: Stack, seeded: Seeded, dashboard):
    at = dashboard(ui_env(stack.urls, token=None)).run()
    assert not at.exception and not at.metric and not at.warning
    assert [i.value for i in at.info] == ["Skriv inn API-nøkkelen din i sidefeltet for å se tallene."]

    at.sidebar.text_input(key="token").input("not-a-valid-token-at-all").run()
    assert any("godtar ikke API-nøkkelen" in w.value and "unknown or revoked token" in w.value for w in at.warning)

    at.sidebar.text_input(key="token").input(TOKENS["viewer"]).run()
    assert not at.warning
    assert [m.value for m in at.metric if m.label == "Medlemskap"] == ["5"]


@pytest.mark.parametrize("regions", ["", " , "])
def test_a_misconfigured_dashboard_says_which_setting_is_wrong(dashboard, regions: str):
    at = dashboard({**ui_env({}), "KF_UI_REGIONS": regions}).run()
    assert not at.exception
    assert any("KF_UI_REGIONS" in e.value for e in at.error)


def test_an_unexpected_failure_shows_an_incident_number_not_a_stack_trace(dashboard, monkeypatch):
    from ui import data

    def broken(*_args, **_kwargs):
        raise KeyError("a field the page expected")

    monkeypatch.setattr(data, "kpis", broken)
    at = dashboard(ui_env({})).run()
    assert not at.exception
    assert len(at.error) == 1 and "Noe gikk galt på denne siden (hendelse " in at.error[0].value
    assert "KeyError" not in at.error[0].value and "Traceback" not in at.error[0].value
