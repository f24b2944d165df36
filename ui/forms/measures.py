"""Forms of the measures service: proposing a measure and reporting an effect."""

from __future__ import annotations

import streamlit as st

from ui import apiclient, data, shell
from ui.components import FieldForm
from ui.forms import optional
from ui.i18n import t
from ui.markup import md


def measure_form(ctx: shell.Context, areas: list[dict], groups: list[dict], organisations: list[dict]) -> None:
    form = FieldForm("measure")
    area_names = {a["id"]: a["name"] for a in areas}
    group_names = {g["id"]: g["name"] for g in groups if g.get("kind") == "competence"}
    orgs = {o["id"]: o["name"] for o in organisations}
    with st.form("register_measure"):
        body = {"title": st.text_input(t("field.title"), key="measure_title")}
        form.slot("title")
        body["description"] = optional(st.text_area(t("field.description"), key="measure_description"))
        form.slot("description")
        body["focus_area"] = st.selectbox(t("field.focus_area"), list(area_names), format_func=area_names.get,
                                          key="measure_focus_area")
        form.slot("focus_area")
        body["proposing_group_id"] = st.selectbox(t("field.proposing_group"), [None] + list(group_names),
                                                  key="measure_group",
                                                  format_func=lambda g: t("field.none") if g is None else group_names[g])
        form.slot("proposing_group_id")
        body["partner_organisation_ids"] = st.multiselect(t("field.partners"), list(orgs), format_func=orgs.get,
                                                          key="measure_partners", placeholder=t("control.choose"))
        form.slot("partner_organisation_ids")
        body["proposed_on"] = st.date_input(t("field.proposed_on"), key="measure_proposed_on", format="DD.MM.YYYY").isoformat()
        form.slot("proposed_on")
        submitted = st.form_submit_button(t("action.propose"))
        form.general_slot()
    if submitted:
        form.submit(lambda: apiclient.send(ctx.endpoint("measures"), "POST", "/measures", body),
                    lambda m: t("done.measure", title=md(m["title"])))


def effect_report_form(ctx: shell.Context, people: list[dict]) -> None:
    measures = shell.fetch_all(ctx, "measures", "/measures", state="in_progress")
    indicators = data.indicators(ctx)
    if measures is None or indicators is None:
        return
    if not measures:
        st.caption(t("register.no_measures_in_progress"))
        return
    form = FieldForm("effect")
    titles = {m["id"]: m["title"] for m in measures}
    names = {p["id"]: p.get("name") or p["id"] for p in people}
    with st.form("register_effect"):
        measure_id = st.selectbox(t("field.measure"), list(titles), format_func=titles.get, key="effect_measure")
        form.slot("measure_id")
        body = {"indicator": st.selectbox(t("field.indicator"), list(indicators), key="effect_indicator",
                                          format_func=lambda i: indicators[i]["name"])}
        form.slot("indicator")
        body["value"] = st.number_input(t("field.value"), value=0.0, key="effect_value")
        form.slot("value")
        left, right = st.columns(2)
        body["period_start"] = left.date_input(t("field.period_start"), key="effect_start", format="DD.MM.YYYY").isoformat()
        body["period_end"] = right.date_input(t("field.period_end"), key="effect_end", format="DD.MM.YYYY").isoformat()
        form.slot("period_start")
        form.slot("period_end")
        body["source"] = st.text_input(t("field.source"), key="effect_source", help=t("field.source_help"))
        form.slot("source")
        body["reported_by_person_id"] = st.selectbox(t("field.reported_by"), list(names), format_func=names.get,
                                                     key="effect_reporter")
        form.slot("reported_by_person_id")
        submitted = st.form_submit_button(t("action.report"))
        form.general_slot()
    if submitted:
        form.submit(lambda: apiclient.send(ctx.endpoint("measures"), "POST", f"/measures/{measure_id}/effect-reports", body),
                    lambda r: t("done.effect", value=md(r["value"]), title=md(titles[measure_id])))
