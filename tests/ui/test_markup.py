"""Text from the services is shown as it was typed: a goal or measure title (or a name, a description, a service's
message) with Markdown or HTML in it becomes no image, link, icon or styled text on the dashboard, in either
language, and an ordinary title keeps every letter and sign (`ui/markup.py`; against the in-process fake services).

AppTest hands over the Markdown source Streamlit will render; `live_markup` names what in that source would render
as something other than text (CommonMark, GFM and Streamlit's own extensions), and `shown` is the text a reader
sees. `test_markup_browser.py` checks the same in Streamlit's real renderer.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from tests.ui import fakes
from ui.apiclient import clear_cache
from ui.markup import md, plotly_text

pytestmark = pytest.mark.timeout(120)

ATTACK = "Mål ![](https://attacker.example/p.png?who=steering) [Logg inn på nytt](https://attacker.example/login)"
TRICKY = ("Mål: <b>fet</b> <a href='https://attacker.example/h'>her</a> **fet** _kursiv_ ~~vekk~~ `kode` &amp; "
          ":material/warning: :red[rødt] :streamlit: $x^2$ www.attacker.example post@attacker.example [^1]")
ORDINARY = "Flere lærlinger i Østfold's bedrifter (16-19 år) – «nå», ikke senere! Æ, Ø og Å; 50 % innen 2026."
# CommonMark: a backslash before an ASCII punctuation character makes that character text.
ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def shown(source: str) -> str:
    """The text a reader sees of Markdown source without live markup: escapes resolved, word joiners invisible."""
    return ESCAPED.sub(r"\1", source).replace("\u2060", "")


def live_markup(source: str) -> list[str]:
    """What in `source` Streamlit's Markdown would render as something other than its text."""
    literal = ESCAPED.sub("\x00", source)  # an escaped character is text
    resolved = ESCAPED.sub(r"\1", source)  # GFM's bare links and Streamlit's shortcodes are found in the text itself
    # (an underscore between two letters or digits can neither open nor close emphasis)
    return (re.findall(r"!?\[|\]|<|`|\*|(?<![^\W_])_|_(?![^\W_])|~|\$|&|^ {0,3}(?:#{1,6}\s|[-+]\s|\d+[.)]\s|>|-{3,}$)",
                       literal)
            + re.findall(r"https?://|www\.|\w@\w|:[\w+-][\w/+-]*:", resolved))


def bold_body(source: str) -> str:
    """The text inside the dashboard's own `**…**`."""
    assert source.startswith("**") and source.endswith("**"), source
    return source[2:-2]


@pytest.mark.parametrize("typed", [ATTACK, TRICKY, ORDINARY, "1. Første", "- punkt", "---", "# Overskrift",
                                   "> sitat", "to\n\nlinjer\n[1]: https://attacker.example", "kl. 10:30, C# og 3.5"])
def test_md_leaves_no_markup_and_shows_the_text_as_typed(typed: str):
    assert live_markup(typed) or typed in (ORDINARY, "kl. 10:30, C# og 3.5")  # the cases are what they claim
    assert live_markup(md(typed)) == []
    assert shown(md(typed)) == " ".join(typed.split())


def test_md_keeps_ordinary_text_unchanged():
    for typed in (ORDINARY, "Tilstrekkelig relevant kompetanse", "Sektorbredde (0–1)", "31.12.2025", "2025-12-31",
                  "-5.0", "#1 i Østfold", "Borregaard AS", "apprenticeship_pathways"):
        assert md(typed) == typed
    assert md(None) == ""


def test_plotly_text_shows_html_as_typed():
    assert plotly_text("<a href='https://attacker.example'>x</a> <b>fet</b> &amp;") == \
        "&lt;a href='https://attacker.example'&gt;x&lt;/a&gt; &lt;b&gt;fet&lt;/b&gt; &amp;amp;"
    assert html.unescape(plotly_text(ORDINARY)) == ORDINARY and plotly_text(ORDINARY) == ORDINARY


def goal_lines(at) -> list[str]:
    return [m.value for m in at.markdown if "attacker" in m.value or "lærlinger" in m.value]


def test_a_goal_title_with_markup_is_shown_as_text_on_the_overview_in_both_languages(fake, fake_dashboard):
    fake.routes[("metrics", "/goals")] = lambda p: (200, [fakes.goal("g1", "members", ATTACK),
                                                        fakes.goal("g2", "members", ORDINARY, "inclusion")])
    at = fake_dashboard().run()
    for lang in ("nb", "en"):
        at.radio(key="lang").set_value(lang).run()
        assert not at.exception
        lines = goal_lines(at)
        assert len(lines) == 2, lines
        attack, ordinary = (bold_body(line) for line in lines)
        assert live_markup(attack) == [] and shown(attack) == ATTACK
        assert ordinary == ORDINARY  # an ordinary title is passed on exactly as typed


def test_a_goal_title_with_markup_is_shown_as_text_when_it_is_revised(fake, fake_dashboard):
    """In Norwegian only: AppTest cannot submit the goal forms in English (it reads the forecast method's choice
    in Norwegian whatever the language), and the message escapes the title the same way in both."""
    fake.routes[("metrics", "/goals")] = lambda p: (200, [fakes.goal("g1", "members", ATTACK)])
    fake.routes[("metrics", "/goals/g1")] = lambda p: (200, fakes.goal("g1", "members", ATTACK))
    at = fake_dashboard().run()
    at.switch_page("pages/goals.py").run()
    at.button(key="FormSubmitter:goal_revise_g1-Lagre revisjon").click().run()
    [done] = [s.value for s in at.success]
    assert live_markup(done) == [] and shown(done) == f"Målet «{ATTACK}» er revidert."


MEASURE = {"id": "m1", "focus_area": "relevant_competence", "state": "adopted", "proposed_on": "2025-03-10",
           "state_since": "2025-05-01", "decided_on": "2025-05-01"}


@pytest.mark.parametrize("title", [ATTACK, TRICKY])
def test_a_measure_title_with_markup_is_shown_as_text_in_both_languages(fake, fake_dashboard, title):
    fake.routes[("measures", "/measures")] = lambda p: (200, fakes.page([{**MEASURE, "title": title}]))
    fake.routes[("measures", "/measures/m1/history")] = lambda p: (200, [])
    fake.routes[("measures", "/measures/m1/expected-effects")] = lambda p: (200, [])
    fake.routes[("measures", "/measures/m1/effect-reports")] = lambda p: (200, [])
    at = fake_dashboard().run()
    at.switch_page("pages/measures.py").run()
    for lang in ("nb", "en"):
        at.radio(key="lang").set_value(lang).run()
        assert not at.exception
        [heading] = [h.value for h in at.subheader]
        assert live_markup(heading) == [] and shown(heading) == title
        assert list(at.dataframe[0].value.iloc[:, 0]) == [title]  # the table is plain text: as typed, unescaped


def test_an_ordinary_measure_title_is_its_heading_as_typed(fake, fake_dashboard):
    fake.routes[("measures", "/measures")] = lambda p: (200, fakes.page([{**MEASURE, "title": ORDINARY}]))
    at = fake_dashboard().run()
    at.switch_page("pages/measures.py").run()
    assert [h.value for h in at.subheader] == [ORDINARY]


def test_names_and_messages_from_the_services_are_shown_as_text(fake, fake_dashboard):
    """A focus area only a goal still names, an indicator's name and a KPI's description on the overview, and a
    service's refusal message."""
    area = "gammelt_område ![](https://attacker.example/a.png)"
    fake.routes[("metrics", "/goals")] = lambda p: (200, [fakes.goal("g1", "members", "Flere medlemmer", area)])
    indicators = [{**i, "name_nb": f"{i['name_nb']} [lenke](https://attacker.example/i)",
                   "name_en": f"{i['name_en']} [link](https://attacker.example/i)"} for i in fakes.REGION["indicators"]]
    fake.routes[("measures", "/indicators")] = lambda p: (200, indicators)

    def kpis(params):
        answer = fakes.kpis(params)
        for kpi in answer:
            kpi["description"] = "Se ![](https://attacker.example/d.png) <https://attacker.example/d>"
        return 200, answer

    fake.routes[("metrics", "/kpis")] = kpis
    at = fake_dashboard().run()
    for lang in ("nb", "en"):
        at.radio(key="lang").set_value(lang).run()
        assert not at.exception
        [heading] = [h.value for h in at.subheader if "attacker" in h.value]
        assert live_markup(heading) == [] and shown(heading) == area
        [note] = [i.value for i in at.info if "attacker" in i.value]
        assert live_markup(note) == [], note
        labels = [m.label for m in at.metric if "attacker" in m.label]
        assert labels and all(live_markup(label) == [] for label in labels), labels
        helps = [m.proto.help for m in at.metric if m.proto.help]
        assert helps and all(live_markup(h) == [] for h in helps), helps

    fake.routes[("metrics", "/goals")] = lambda p: (403, {"error": "forbidden",
                                                          "message": "[Logg inn](https://attacker.example/login)"})
    clear_cache()
    at.run()
    [warning] = [w.value for w in at.warning if "attacker" in w.value]
    assert live_markup(warning) == [], warning


def test_an_organisation_name_with_html_is_shown_as_text_in_the_network_graph(fake, fake_dashboard):
    name = "<a href='https://attacker.example/o'>Borregaard</a> <b>AS</b>"
    fake.routes[("membership", "/organisations")] = lambda p: (200, fakes.page([{"id": "o1", "name": name}]))
    fake.routes[("metrics", "/network")] = lambda p: (200, {
        "nodes": [{"id": "o1", "sector": "business", "degree": 0, "betweenness_centrality": 0.0}], "ties": [],
        "sectors": []})
    at = fake_dashboard().run()
    at.switch_page("pages/network.py").run()
    assert not at.exception
    graph = json.loads(at.get("plotly_chart")[0].proto.spec)
    [text] = [t for trace in graph["data"] for t in trace.get("text") or []]
    assert "<" not in text and html.unescape(text) == name
