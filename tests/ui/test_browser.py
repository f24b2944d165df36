"""The dashboard in real headless Chromium (Debian's `chromium`, driven by Playwright), on `kf up --demo`.

A user's path: open the dashboard, see the overview's KPIs and goal statuses (the same as the metrics API's),
switch from Norwegian to English, and visit every page. It saves a screenshot of each page into
`docs/screenshots/` of the checkout (README shows the overview); set KF_SCREENSHOT_DIR to write elsewhere.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from kf.embedded.ports import free_port
from kf.embedded.processes import end_processes
from kf.runtime.settings import DEV_TOKEN
from kf.testing.streams import wait_until
from ui.i18n import TEXTS
from ui.settings import UiSettings

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
URL_LINE = re.compile(r"^\s+(\w+)\s+((?:http|nats)://127\.0\.0\.1:\d+)")
# URL path, navigation label key and heading key of each page, in the order of the sidebar.
PAGES = (("oversikt", "nav.overview", "overview.title"), ("maal", "nav.goals", "goals.title"),
         ("tiltak", "nav.measures", "measures.title"), ("nettverk", "nav.network", "network.title"),
         ("samlinger", "nav.gatherings", "gatherings.title"), ("registrer", "nav.register", "register.title"))
SCREENSHOT_NAMES = {"oversikt": "overview", "maal": "goals", "tiltak": "measures", "nettverk": "network",
                    "samlinger": "gatherings", "registrer": "register"}
HEADLINE_KPI = "members"


@pytest.fixture
def screenshot_dir() -> Path:
    default = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    folder = Path(os.environ.get("KF_SCREENSHOT_DIR") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def platform(tmp_path: Path):
    """`kf up --demo` as README's `make up` runs it, on free ports; its printed URLs by name. Ctrl-C stops it."""
    log = tmp_path / "up.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KF_")}
    args = [sys.executable, "-m", "kf.cli", "up", "--demo", "--data-dir", str(tmp_path / "var"),
            "--nats-port", str(free_port()), "--port-base", str(free_port()), "--dashboard-port", str(free_port())]
    with open(log, "w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, text=True)
    try:
        urls: dict[str, str] = {}

        def printed_urls() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"kf up exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            text = log.read_text()
            if "development API token" not in text:
                return False
            urls.update({m.group(1): m.group(2) for line in text.splitlines() if (m := URL_LINE.match(line))})
            return True

        wait_until(printed_urls, timeout=120, interval=0.5, what="kf up to print its URLs")
        assert {"dashboard", "metrics"} <= urls.keys(), log.read_text()[-3000:]
        yield urls
    finally:
        end_processes([proc], signal.SIGINT, timeout=60)


def nb_number(value: float) -> str:
    """An integer as the dashboard writes it in Norwegian: `1 234` with a narrow no-break space."""
    return f"{int(value):,}".replace(",", "\u202f")


def api_items(url: str, params: dict) -> list[dict]:
    body = httpx.get(url, params=params, headers={"Authorization": f"Bearer {DEV_TOKEN}"}).raise_for_status().json()
    return body["items"] if isinstance(body, dict) else body


def metrics_by_label(page: Page) -> dict[str, str]:
    labels = page.get_by_test_id("stMetricLabel").all_inner_texts()
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    return {label.strip(): value.strip() for label, value in zip(labels, values)}


def wait_settled(page: Page) -> None:
    """Streamlit has finished the run: no running indicator, and a heading is on the page."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                           " && document.querySelectorAll('[data-testid=\"stHeading\"]').length > 0", timeout=30_000)
    page.wait_for_timeout(800)  # charts draw after the run ends


def test_dashboard_in_chromium_shows_the_apis_numbers_in_both_languages(platform: dict[str, str], screenshot_dir: Path):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1800})
            page.set_default_timeout(30_000)
            started = time.perf_counter()
            page.goto(platform["dashboard"])
            page.get_by_test_id("stMetricValue").first.wait_for()
            print(f"\nbrowser: first KPI on the overview after {time.perf_counter() - started:.3f} s (new browser profile)")
            wait_settled(page)
            started = time.perf_counter()
            page.reload()
            page.get_by_test_id("stMetricValue").first.wait_for()
            print(f"browser: first KPI on the overview after {time.perf_counter() - started:.3f} s (reload, cache warm)")
            wait_settled(page)

            # The region the dashboard shows (its default: `kf up` sets no KF_UI_REGIONS), and the API's numbers today.
            region = UiSettings.model_fields["regions"].default[0]
            expect(page.get_by_role("combobox", name=TEXTS["control.region"]["nb"])).to_have_value(region)
            params = {"region": region, "as_of": time.strftime("%Y-%m-%d")}
            kpis = {k["id"]: k for k in api_items(platform["metrics"] + "/kpis", params)}
            members = kpis[HEADLINE_KPI]
            assert members["value"] > 0, "the demo has members"
            shown = metrics_by_label(page)
            assert shown[TEXTS[f"kpi.{HEADLINE_KPI}"]["nb"]] == nb_number(members["value"]), shown

            goals = [g for g in api_items(platform["metrics"] + "/goals", params) if not g.get("retired")]
            assert goals, "the metrics demo sets goals"
            goal = goals[0]
            status = (goal.get("evaluation") or {}).get("status") or goal.get("status") or "insufficient_data"
            card = page.get_by_test_id("stVerticalBlock").filter(has_text=goal["title"]).last
            expect(card).to_contain_text(TEXTS[f"status.{status}"]["nb"])
            for other in goals:  # every goal's status badge, in the goal's own card
                other_status = (other.get("evaluation") or {}).get("status") or other.get("status") or "insufficient_data"
                other_card = page.get_by_test_id("stVerticalBlock").filter(has_text=other["title"]).last
                expect(other_card.get_by_text(TEXTS[f"status.{other_status}"]["nb"], exact=True).first).to_be_visible()

            # Norwegian is the default; English is one click away and stays for the whole session.
            expect(page.get_by_test_id("stHeading").first).to_have_text(TEXTS["overview.title"]["nb"])
            page.get_by_test_id("stRadio").get_by_text("English").click()
            expect(page.get_by_test_id("stHeading").first).to_have_text(TEXTS["overview.title"]["en"])
            expect(page.get_by_text(TEXTS["kpi." + HEADLINE_KPI]["en"], exact=True).first).to_be_visible()
            wait_settled(page)

            for path, nav_key, title_key in PAGES:
                if path != "oversikt":  # through the sidebar, as a user would, so the session keeps its language
                    page.get_by_test_id("stSidebarNavLink").filter(has_text=TEXTS[nav_key]["en"]).click()
                    page.wait_for_url(re.compile(f"/{path}$"))
                expect(page.get_by_test_id("stHeading").first).to_have_text(TEXTS[title_key]["en"])
                wait_settled(page)
                assert "Traceback" not in page.inner_text("body"), path
                file = screenshot_dir / f"{SCREENSHOT_NAMES[path]}.png"
                page.screenshot(path=str(file), full_page=True)
                assert file.stat().st_size > 20_000, f"{file} looks empty"
        finally:
            browser.close()
