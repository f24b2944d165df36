"""Tiltak / Measures: the pipeline per focus area, a filterable table, and a measure's history and effects."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui import charts, data, shell
from ui.components import csv_download, fmt_date, fmt_number
from ui.i18n import t
from ui.markup import md, plotly_text

FUNNEL = ("measures_proposed", "measures_adopted", "measures_anchored", "measures_completed")
SIDE = ("measures_rejected", "adoption_rate", "median_days_to_decision")
STATES = ("proposed", "in_review", "revised", "adopted", "rejected", "anchored", "in_progress", "completed", "stopped")


def pipeline(ctx: shell.Context, focus_area: str | None) -> None:
    kpis = data.kpis(ctx, focus_area=focus_area)
    if kpis is None:
        return
    stages = [(data.kpi_label(ctx, kpis[k]), float(kpis[k]["value"] or 0)) for k in FUNNEL if k in kpis]
    left, right = st.columns([3, 1])
    if stages:
        left.plotly_chart(charts.funnel(stages, t("measures.funnel")), key="measures_funnel")
    for kpi_id in SIDE:
        if kpi_id in kpis:
            right.metric(md(data.kpi_label(ctx, kpis[kpi_id])), fmt_number(kpis[kpi_id]["value"], kpis[kpi_id]["unit"]))


def measures_table(measures: list[dict], area_names: dict[str, str], org_names: dict[str, str], *,
                   for_csv: bool = False) -> pd.DataFrame:
    """On screen dates are written the reader's way; the CSV keeps them as ISO dates."""
    def day(m: dict, name: str):
        return m.get(name) if for_csv else (fmt_date(m.get(name)) if m.get(name) else "")

    return pd.DataFrame([{
        t("measure.col.title"): m["title"],
        t("measure.col.focus_area"): area_names.get(m["focus_area"], m["focus_area"]),
        t("measure.col.state"): t(f"state.{m['state']}"),
        t("measure.col.proposed_on"): day(m, "proposed_on"),
        t("measure.col.state_since"): day(m, "state_since"),
        t("measure.col.decided_on"): day(m, "decided_on"),
        t("measure.col.owner"): org_names.get(m.get("owner_organisation_id") or "", m.get("owner_organisation_id") or ""),
    } for m in measures], columns=[t(f"measure.col.{c}") for c in
                                   ("title", "focus_area", "state", "proposed_on", "state_since", "decided_on", "owner")])


# The business date an event carries (the day it happened, not the day it was recorded), and what to show with it.
EVENT_DATE = ("proposed_on", "received_on", "revised_on", "decided_on", "accepted_on", "started_on", "period_end",
              "completed_on", "stopped_on")
EVENT_DETAIL = ("decided_by", "rationale", "reason", "summary", "indicator", "value", "target", "target_date", "source")


def history_rows(entries: list[dict], indicator_names: dict[str, str]) -> list[dict]:
    """The measure's events in the order they were recorded, each with its business date where it has one."""
    rows = []
    for e in entries:
        payload = dict(e.get("data") or {})
        if payload.get("indicator"):
            payload["indicator"] = indicator_names.get(payload["indicator"], payload["indicator"])
        when = next((fmt_date(str(payload[k])[:10]) for k in EVENT_DATE if payload.get(k)), "")
        detail = " · ".join(str(payload[k]) for k in EVENT_DETAIL if payload.get(k) not in (None, ""))
        rows.append({t("measure.col.when"): when, t("measure.col.event"): t(f"event.{e['event_type']}"),
                     t("measure.col.detail"): detail})
    return rows


def history(ctx: shell.Context, measure: dict) -> None:
    entries = shell.fetch(ctx, "measures", f"/measures/{measure['id']}/history")
    if entries is None:
        return
    names = {i: v["name"] for i, v in (data.indicators(ctx) or {}).items()}
    st.markdown(f"**{t('measures.history')}**")
    st.dataframe(pd.DataFrame(history_rows(entries, names)), hide_index=True, key=f"history_{measure['id']}")


def effects(ctx: shell.Context, measure: dict) -> None:
    expected = shell.fetch(ctx, "measures", f"/measures/{measure['id']}/expected-effects")
    reports = shell.fetch(ctx, "measures", f"/measures/{measure['id']}/effect-reports")
    if expected is None or reports is None:
        return
    st.markdown(f"**{t('measures.effects')}**")
    if not expected and not reports:
        st.caption(t("measures.no_effects"))
        return
    names = {i: v["name"] for i, v in (data.indicators(ctx) or {}).items()}
    for indicator in sorted({e["indicator"] for e in expected} | {r["indicator"] for r in reports}):
        mine = sorted((r for r in reports if r["indicator"] == indicator), key=lambda r: r["period_end"])
        fig = go.Figure(go.Bar(x=[r["period_end"] for r in mine], y=[r["value"] for r in mine], name=t("measures.reported")))
        for exp in (e for e in expected if e["indicator"] == indicator):
            fig.add_trace(go.Scatter(x=[exp["baseline_date"], exp["target_date"]], y=[exp["baseline"], exp["target"]],
                                     mode="lines+markers", name=t("measures.expected"), line={"dash": "dash"}))
        fig.update_layout(title=plotly_text(names.get(indicator, indicator)), height=300,
                          margin={"l": 10, "r": 10, "t": 40, "b": 10})
        st.plotly_chart(fig, key=f"effects_{measure['id']}_{indicator}")


def render() -> None:
    ctx = shell.current()
    st.header(t("measures.title"))
    areas = data.focus_areas(ctx) or []
    area_names = {a["id"]: a["name"] for a in areas}
    focus_area = st.selectbox(t("measures.focus_area"), [None] + list(area_names), key="measures_focus_area",
                              format_func=lambda a: t("measures.all_areas") if a is None else area_names.get(a, a))
    pipeline(ctx, focus_area)
    measures = shell.fetch_all(ctx, "measures", "/measures", focus_area=focus_area)
    if measures is None:
        return
    # as the funnel: only what was proposed by the as-of date (its state is the latest one)
    later = [m for m in measures if str(m.get("proposed_on") or "")[:10] > ctx.as_of.isoformat()]
    measures = [m for m in measures if m not in later]
    organisations = shell.fetch_all(ctx, "membership", "/organisations") or []
    org_names = {o["id"]: o["name"] for o in organisations}
    left, right = st.columns(2)
    states = left.multiselect(t("measures.filter_state"), STATES, key="measures_states", placeholder=t("control.choose"), format_func=lambda s: t(f"state.{s}"))
    text = right.text_input(t("measures.filter_text"), key="measures_text")
    shown = [m for m in measures if (not states or m["state"] in states)
             and (not text or text.lower() in (m["title"] + " " + (m.get("description") or "")).lower())]
    st.dataframe(measures_table(shown, area_names, org_names), hide_index=True, key="measures_table")
    if later:
        st.caption(t("measures.left_out", count=len(later), date=fmt_date(ctx.as_of)))
    csv_download(measures_table(shown, area_names, org_names, for_csv=True), "measures.csv", key="measures_csv")
    if not shown:
        return
    labels = {m["id"]: m["title"] for m in shown}
    chosen = st.selectbox(t("measures.choose"), list(labels), format_func=labels.get, key="measures_choice")
    measure = next(m for m in shown if m["id"] == chosen)
    st.subheader(md(measure["title"]))
    st.caption(t("measures.state_line", state=t(f"state.{measure['state']}"),
                 since=md(fmt_date(measure.get("state_since")))))
    left, right = st.columns(2)
    with left:
        history(ctx, measure)
    with right:
        effects(ctx, measure)


if __name__ == "__main__":
    render()
