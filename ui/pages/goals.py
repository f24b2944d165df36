"""Mål / Goals: every goal with the numbers behind its status, its KPI chart, and the coordinators' goal forms."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import pandas as pd
import streamlit as st

from ui import apiclient, charts, data, shell
from ui.components import FieldForm, csv_download, fmt_date, fmt_number, progress_bar, status_badge
from ui.explain import goal_explanation
from ui.goalgroups import unconfigured_areas
from ui.i18n import t
from ui.markup import md

METHODS = ("linear", "cagr")


def goals_table(ctx: shell.Context, goals: list[dict], area_names: dict[str, str], units: dict[str, str], *,
                unconfigured: Collection[str] = (), for_csv: bool = False) -> pd.DataFrame:
    """On screen each goal's values are written in its KPI's unit (shares as percentages), dates the reader's way,
    and a focus area the region's configuration no longer has (`unconfigured`) is marked so; the CSV keeps the API's
    numbers, ISO dates and such an area's id."""
    def area(g: dict) -> str:
        area_id = g.get("focus_area")
        if area_id in unconfigured and not for_csv:
            return t("area.unconfigured_label", area=area_id)
        return area_names.get(area_id, area_id or t("overview.whole_forum"))

    def value(g: dict, name: str):
        return g.get(name) if for_csv else fmt_number(g.get(name), units.get(g.get("kpi", "")))

    def day(g: dict, name: str):
        return g.get(name) if for_csv else fmt_date(g.get(name))

    rows = []
    for g in goals:
        rows.append({
            t("goal.col.title"): g.get("title"),
            t("goal.col.kpi"): data.kpi_label(ctx, g.get("kpi", "")),
            t("goal.col.focus_area"): area(g),
            t("goal.col.status"): t(f"status.{g.get('status') or 'insufficient_data'}"),
            t("goal.col.baseline"): value(g, "baseline_value"),
            t("goal.col.baseline_date"): day(g, "baseline_date"),
            t("goal.col.current"): value(g, "current_value"),
            t("goal.col.target"): value(g, "target_value"),
            t("goal.col.target_date"): day(g, "target_date"),
            t("goal.col.progress"): g.get("progress"),
            t("goal.col.expected_progress"): g.get("expected_progress"),
            t("goal.col.forecast"): value(g, "forecast"),
            t("goal.col.r"): g.get("r") if for_csv else fmt_number(g.get("r")),
            t("goal.col.method"): t(f"method.{g.get('method', 'linear')}"),
        })
    return pd.DataFrame(rows)


def _day(value) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def goal_detail(ctx: shell.Context, goal: dict, unit: str | None, *, configured: bool = True) -> None:
    """The goal's numbers in its KPI's unit, why it has its status, and the KPI's series since the baseline; a goal
    whose focus area the region's configuration no longer has (`configured` false) says so."""
    if not configured:
        st.info(t("area.unconfigured_note", area=md(goal.get("focus_area"))), icon=":material/info:")
    status_badge(goal.get("status"))
    progress_bar(goal.get("progress"), goal.get("expected_progress"))
    cols = st.columns(5)
    cols[0].metric(t("goal.col.baseline"), fmt_number(goal.get("baseline_value"), unit),
                   help=md(fmt_date(goal.get("baseline_date"))))
    cols[1].metric(t("goal.col.current"), fmt_number(goal.get("current_value"), unit))
    cols[2].metric(t("goal.col.target"), fmt_number(goal.get("target_value"), unit),
                   help=md(fmt_date(goal.get("target_date"))))
    cols[3].metric(t("goal.col.forecast"), fmt_number(goal.get("forecast"), unit))
    cols[4].metric(t("goal.col.r"), fmt_number(goal.get("r")))
    explanation = goal_explanation(goal, unit)
    if explanation:
        st.caption(explanation)
    baseline_date, target_date = _day(goal.get("baseline_date")), _day(goal.get("target_date"))
    if baseline_date is None or target_date is None:
        return
    if ctx.as_of < baseline_date:  # the series API refuses a period that ends before it starts
        st.info(t("goal.before_baseline", as_of=fmt_date(ctx.as_of), baseline=fmt_date(baseline_date)),
                icon=":material/event_busy:")
        return
    # the metrics service refuses a series for an area outside the configuration: said as a note, not as a refusal
    refusals: list[apiclient.ApiError] | None = None if configured else []
    points = data.series(ctx, goal["kpi"], start=baseline_date, end=min(ctx.as_of, target_date),
                         focus_area=goal.get("focus_area"), refusals=refusals)
    for refusal in refusals or []:
        if "focus_area" in refusal.field_errors():
            st.caption(t("goal.no_series_unconfigured"))
        else:
            shell.report_problem(refusal, ctx)
    if points is None:
        return
    forecast = (target_date, float(goal["forecast"])) if goal.get("forecast") is not None else None
    figure = charts.kpi_series(points, name=data.kpi_label(ctx, goal["kpi"]),
                               baseline=(baseline_date, float(goal["baseline_value"])),
                               target=(target_date, float(goal["target_value"])), forecast=forecast,
                               labels={"target": t("chart.target"), "forecast": t("chart.forecast")})
    st.plotly_chart(figure, key=f"goal_chart_{goal['id']}")
    frame = pd.DataFrame(points, columns=[t("chart.date"), data.kpi_label(ctx, goal["kpi"])])
    csv_download(frame, f"{goal['kpi']}.csv", key=f"goal_series_csv_{goal['id']}")


def goal_fields(ctx: shell.Context, form: FieldForm, prefix: str, kpi_ids: list[str], areas: list[dict],
                goal: dict | None) -> dict:
    """The fields of a goal; with `goal` they start at its current values (its own focus area is always a choice,
    also when the region's focus areas could not be read, so saving never drops it)."""
    goal = goal or {}
    area_ids = [None] + [a["id"] for a in areas]
    if goal.get("focus_area") and goal["focus_area"] not in area_ids:
        area_ids.append(goal["focus_area"])
    area_names = {a["id"]: a["name"] for a in areas}
    body: dict = {}
    body["title"] = st.text_input(t("goal.field.title"), value=goal.get("title", ""), key=f"{prefix}_title")
    form.slot("title")
    kpi_choices = kpi_ids or ([goal["kpi"]] if goal.get("kpi") else [])
    kpi_names = {kpi_id: data.kpi_label(ctx, kpi_id) for kpi_id in kpi_choices}
    body["kpi"] = st.selectbox(t("goal.field.kpi"), kpi_choices, format_func=kpi_names.get, key=f"{prefix}_kpi",
                               index=kpi_choices.index(goal["kpi"]) if goal.get("kpi") in kpi_choices else 0)
    form.slot("kpi")
    body["focus_area"] = st.selectbox(
        t("goal.field.focus_area"), area_ids, key=f"{prefix}_focus_area",
        index=area_ids.index(goal.get("focus_area")) if goal.get("focus_area") in area_ids else 0,
        format_func=lambda a: t("overview.whole_forum") if a is None else area_names.get(a, a))
    form.slot("focus_area")
    left, right = st.columns(2)
    with left:
        body["baseline_value"] = st.number_input(t("goal.field.baseline_value"), value=float(goal.get("baseline_value", 0)),
                                                 key=f"{prefix}_baseline_value")
        form.slot("baseline_value")
        body["baseline_date"] = st.date_input(t("goal.field.baseline_date"), key=f"{prefix}_baseline_date",
                                              value=_day(goal.get("baseline_date")) or date(date.today().year, 1, 1), format="DD.MM.YYYY")
        form.slot("baseline_date")
    with right:
        body["target_value"] = st.number_input(t("goal.field.target_value"), value=float(goal.get("target_value", 0)),
                                               key=f"{prefix}_target_value")
        form.slot("target_value")
        body["target_date"] = st.date_input(t("goal.field.target_date"), key=f"{prefix}_target_date",
                                            value=_day(goal.get("target_date")) or date(date.today().year + 1, 12, 31), format="DD.MM.YYYY")
        form.slot("target_date")
    body["method"] = st.selectbox(t("goal.field.method"), METHODS, format_func=lambda m: t(f"method.{m}"),
                                  key=f"{prefix}_method",
                                  index=METHODS.index(goal["method"]) if goal.get("method") in METHODS else 0)
    form.slot("method")
    for name in ("baseline_date", "target_date"):
        body[name] = body[name].isoformat() if body[name] else None
    return body


def coordinator_forms(ctx: shell.Context, goals: list[dict], kpi_ids: list[str], areas: list[dict]) -> None:
    st.subheader(t("goals.manage"))
    st.caption(t("goals.manage_help"))
    endpoint = ctx.endpoint("metrics")
    set_tab, revise_tab, retire_tab = st.tabs([t("goals.tab.set"), t("goals.tab.revise"), t("goals.tab.retire")])
    with set_tab:
        form = FieldForm("goal_set")
        with st.form("goal_set"):
            body = goal_fields(ctx, form, "goal_set", kpi_ids, areas, None)
            submitted = st.form_submit_button(t("goals.action.set"))
            form.general_slot()
        if submitted:
            form.submit(lambda: apiclient.send(endpoint, "POST", "/goals", body, region=ctx.region),
                        lambda goal: t("goals.done.set", title=md(goal.get("title"))))
    if not goals:
        return
    labels = {g["id"]: g.get("title") or g["id"] for g in goals}
    with revise_tab:
        chosen = st.selectbox(t("goals.choose"), list(labels), format_func=labels.get, key="goal_revise_choice")
        goal = next(g for g in goals if g["id"] == chosen)
        form = FieldForm("goal_revise")
        with st.form(f"goal_revise_{chosen}"):
            body = goal_fields(ctx, form, f"goal_revise_{chosen}", kpi_ids, areas, goal)
            submitted = st.form_submit_button(t("goals.action.revise"))
            form.general_slot()
        if submitted:
            form.submit(lambda: apiclient.send(endpoint, "PUT", f"/goals/{chosen}", body, region=ctx.region),
                        lambda _: t("goals.done.revise", title=md(body["title"])))
    with retire_tab:
        chosen = st.selectbox(t("goals.choose"), list(labels), format_func=labels.get, key="goal_retire_choice")
        form = FieldForm("goal_retire")
        with st.form("goal_retire"):
            st.caption(t("goals.retire_help"))
            submitted = st.form_submit_button(t("goals.action.retire"))
            form.general_slot()
        if submitted:
            form.submit(lambda: apiclient.send(endpoint, "DELETE", f"/goals/{chosen}", region=ctx.region),
                        lambda _: t("goals.done.retire", title=md(labels[chosen])))


def render() -> None:
    ctx = shell.current()
    st.header(t("goals.title"))
    configured_areas = data.focus_areas(ctx)
    areas = configured_areas or []
    area_names = {a["id"]: a["name"] for a in areas}
    goals = data.goals(ctx)
    unconfigured = set(unconfigured_areas(goals or [], configured_areas))
    kpis = data.kpis(ctx) if goals is not None else None
    units = data.kpi_units(kpis)
    if goals is not None and not goals:
        st.info(t("goals.none"))
    if goals:
        percent = st.column_config.NumberColumn(format="percent")
        st.dataframe(goals_table(ctx, goals, area_names, units, unconfigured=unconfigured), hide_index=True,
                     key="goals_table",
                     column_config={t("goal.col.progress"): percent, t("goal.col.expected_progress"): percent})
        csv_download(goals_table(ctx, goals, area_names, units, for_csv=True), "goals.csv", key="goals_csv")
        labels = {g["id"]: g.get("title") or g["id"] for g in goals}
        chosen = st.selectbox(t("goals.choose"), list(labels), format_func=labels.get, key="goal_detail_choice")
        goal = next(g for g in goals if g["id"] == chosen)
        goal_detail(ctx, goal, units.get(goal.get("kpi", "")), configured=goal.get("focus_area") not in unconfigured)
    if goals is not None and kpis is not None:
        coordinator_forms(ctx, goals, sorted(kpis), areas)


if __name__ == "__main__":
    render()
