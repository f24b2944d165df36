"""Titles and names with Markdown and HTML in them, as the steering group sees them in real headless Chromium: the
dashboard (`streamlit run`, answered by the in-process fake services of `tests/ui/fakes.py`) shows them as text,
with no image, no link, no icon and no styled text, in both languages; an ordinary title exactly as typed.

AppTest only sees the Markdown source (`test_markup.py`); this is Streamlit's own renderer, with its shortcodes,
directives, LaTeX and GFM's bare links, which backslash escapes alone do not stop.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.ui import fakes
from tests.ui.streamlit_server import streamlit_running
from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS, wait_settled
from tests.ui.test_markup import ATTACK, ORDINARY, TRICKY

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

ROOT = Path(__file__).resolve().parents[2]
# The dashboard as `kf up` starts it, with `httpx.request` answered by the fake services and these titles.
APP = f"""
import runpy, sys
sys.path.insert(0, {str(ROOT)!r})
import httpx
from tests.ui import fakes
from tests.ui.test_markup import ATTACK, ORDINARY, TRICKY

MEASURE = {{"id": "m1", "title": TRICKY, "focus_area": "relevant_competence", "state": "adopted",
            "proposed_on": "2025-03-10", "state_since": "2025-05-01", "decided_on": "2025-05-01"}}
services = fakes.FakeServices()
services.routes[("metrics", "/goals")] = lambda p: (200, [fakes.goal("g1", "members", ATTACK),
                                                         fakes.goal("g2", "members", ORDINARY, "inclusion")])
services.routes[("measures", "/measures")] = lambda p: (200, fakes.page([MEASURE]))
for name in ("history", "expected-effects", "effect-reports"):
    services.routes[("measures", f"/measures/m1/{{name}}")] = lambda p: (200, [])
httpx.request = services
runpy.run_path({str(ROOT / "ui" / "app.py")!r}, run_name="__main__")
"""
# Anything on the page that is not text: a link or image to the attacker, or markup inside a title.
FOREIGN = ("a[href*='attacker']:not([href^='#']), img[src*='attacker'], img[alt='Streamlit logo'], .katex, "
           "[class*='stMarkdownColored']")
MARKUP_IN_TITLE = ("a:not([href^='#']), img, strong, em, del, code, .katex, [data-testid='stIconMaterial'], "
                   "[class*='stMarkdownColored']")


@pytest.fixture
def dashboard_url(tmp_path: Path):
    script = tmp_path / "app.py"
    script.write_text(APP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KF_")}
    env.update({f"KF_UI_{name.upper()}_URL": url for name, url in fakes.URLS.items()})
    env.update(KF_UI_TOKEN="tok", KF_UI_REGIONS="ostfold")
    with streamlit_running(script, env, tmp_path / "streamlit.log", cwd=ROOT) as url:
        yield url


def visible(page: Page, selector: str) -> list[str]:
    """The text of each element, as a reader sees it (the word joiners `ui.markup` adds are invisible)."""
    return [text.replace("\u2060", "").strip() for text in page.locator(selector).all_inner_texts()]


def markup_inside(page: Page, selector: str, text: str) -> list[str]:
    return page.evaluate(
        "([selector, inner, text]) => [...document.querySelectorAll(selector)]"
        ".filter(e => e.innerText.replaceAll('\\u2060', '').includes(text))"
        ".flatMap(e => [...e.querySelectorAll(inner)].map(x => x.outerHTML.slice(0, 120)))",
        [selector, MARKUP_IN_TITLE, text])


def test_titles_with_markup_are_text_in_chromium_in_both_languages(dashboard_url: str):
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 2400})
            page.set_default_timeout(30_000)
            for lang in ("nb", "en"):
                page.goto(dashboard_url)
                page.get_by_test_id("stMetricValue").first.wait_for()
                wait_settled(page)
                if lang == "en":
                    page.get_by_test_id("stRadio").get_by_text("English").click()
                    page.get_by_role("heading", name="Overview").wait_for()
                    wait_settled(page)
                assert page.locator(FOREIGN).count() == 0, page.locator(FOREIGN).evaluate_all(
                    "es => es.map(e => e.outerHTML.slice(0, 200))")
                lines = visible(page, "[data-testid='stMarkdownContainer'] strong")
                assert ATTACK in lines and ORDINARY in lines, lines
                # the dashboard's own bold is all there is: nothing inside the titles
                assert markup_inside(page, "[data-testid='stMarkdownContainer'] strong", "Logg inn") == []

                page.get_by_test_id("stSidebarNav").get_by_text("Tiltak" if lang == "nb" else "Measures").click()
                page.get_by_role("heading", name="Tiltak" if lang == "nb" else "Measures").wait_for()
                wait_settled(page)
                assert page.locator(FOREIGN).count() == 0, page.locator(FOREIGN).evaluate_all(
                    "es => es.map(e => e.outerHTML.slice(0, 200))")
                headings = visible(page, "h3")
                assert TRICKY in headings, headings
                assert markup_inside(page, "h3", "attacker") == []
        finally:
            browser.close()
