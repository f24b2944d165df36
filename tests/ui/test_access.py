"""Reaching the services: settings that cannot work are named, tokens are cleaned or refused by name, a refused
operator token points to the operator, and a service that does not answer costs one try per run."""

from __future__ import annotations

import httpx
import pytest

from tests.ui import fakes
from ui.apiclient import Endpoint, ServiceUnavailable, _request

pytestmark = pytest.mark.timeout(120)


def test_an_empty_token_setting_counts_as_unset_so_the_sidebar_asks_for_one(fake, fake_dashboard):
    at = fake_dashboard(token="").run()
    assert not at.exception and not at.error
    assert [i.value for i in at.info] == ["Skriv inn API-nøkkelen din i sidefeltet for å se tallene."]
    at.sidebar.text_input(key="token").input("tok").run()
    assert [m.value for m in at.metric if m.label == "Medlemskap"] == ["1\u202f234"]


@pytest.mark.parametrize("url", ["", "127.0.0.1:8104", "http://[::1", "ftp://127.0.0.1:8104", "http://exa mple.org"])
def test_a_service_url_that_is_not_an_http_url_is_named_as_the_wrong_setting(fake, fake_dashboard, url):
    at = fake_dashboard(KF_UI_METRICS_URL=url).run()
    assert not at.exception
    assert [e.value for e in at.error if "KF_UI_METRICS_URL" in e.value and "http://" in e.value], \
        [e.value for e in at.error]
    assert not at.metric and not fake.calls


def test_a_url_httpx_cannot_parse_is_reported_as_the_service_not_answering():
    with pytest.raises(ServiceUnavailable) as caught:
        _request(Endpoint("metrics", "http://[::1", None), "GET", "/kpis")
    assert caught.value.service == "metrics" and caught.value.reason == "InvalidURL"


def test_a_pasted_token_is_sent_without_its_surrounding_spaces(fake, fake_dashboard):
    at = fake_dashboard(token=None).run()
    at.sidebar.text_input(key="token").input("  kf-dev-token \n").run()
    assert not at.exception and not at.warning
    assert {c["headers"]["Authorization"] for c in fake.calls} == {"Bearer kf-dev-token"}


@pytest.mark.parametrize("token", ["kf–dev–token", "tøken", "kf-dev\x07token"])
def test_a_typed_token_an_http_header_cannot_carry_is_refused_at_the_token_field(fake, fake_dashboard, token):
    at = fake_dashboard(token=None).run()
    at.sidebar.text_input(key="token").input(token).run()
    assert not at.exception and not at.warning
    assert [e.value for e in at.sidebar.error if e.value.startswith("Feltet «API-nøkkel» kan bare inneholde")]
    assert not fake.calls, "nothing is sent with a token that cannot be sent"


def test_a_configured_token_an_http_header_cannot_carry_is_named_as_the_wrong_setting(fake, fake_dashboard):
    at = fake_dashboard(token="tøken").run()
    assert not at.exception
    assert any("KF_UI_TOKEN" in e.value for e in at.error), [e.value for e in at.error]
    assert all("tøken" not in e.value for e in at.error), "the token itself is never shown"
    assert not fake.calls


def test_a_refused_configured_token_tells_the_user_to_ask_the_operator(fake, fake_dashboard):
    for route in list(fake.routes):
        fake.routes[route] = lambda p: (401, {"error": "unauthenticated", "message": "unknown or revoked token"})
    at = fake_dashboard(token="expired-token").run()
    warnings = [w.value for w in at.warning]
    assert warnings and all("KF_UI_TOKEN" in w and "sidefeltet" not in w for w in warnings), warnings
    assert not list(at.sidebar.text_input)


def test_a_service_that_times_out_is_asked_once_per_run_and_named_once(fake, fake_dashboard):
    def hangs(_params):
        raise httpx.ReadTimeout("timed out")

    for route in [r for r in fake.routes if r[0] == "metrics"]:
        fake.routes[route] = hangs
    at = fake_dashboard()
    for page in ("pages/overview.py", "pages/goals.py", "pages/network.py", "pages/gatherings.py"):
        fake.calls.clear()
        at.run() if page == "pages/overview.py" else at.switch_page(page).run()
        assert not at.exception
        assert len(fake.requests_to("metrics")) == 1, (page, [c["path"] for c in fake.requests_to("metrics")])
        assert sum("(metrics) svarer ikke" in w.value for w in at.warning) == 1, page
    assert any(fakes.URLS["metrics"] in w.value for w in at.warning)
