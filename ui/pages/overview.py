"""Oversikt / Overview: the forum at a glance, one card per focus area with its goals and concrete effects (and a card
for each focus area a goal is set on that the region's configuration no longer has)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import data, shell
from ui.components import csv_download, fmt_change, fmt_date, fmt_number, fmt_unit, progress_bar, status_badge
from ui.goalgroups import group_goals
from ui.i18n import t
from ui.markup import md

HEADLINE_KPIS = ("members", "organisations", "sectors_represented", "cross_sector_ties", "gatherings_held",
                 "measures_adopted", "effect_target_attainment")


def delta(now: dict | None, before: dict | None) -> dict:
    """`st.metric` arguments for the change since the previous quarter: signed, grey when nothing changed."""
    if not now or not before or now.get("value") is None or before.get("value") is None:
        return {}
    text = fmt_change(float(now["value"]) - float(before["value"]), now.get("unit"))
    if text is None:  # nothing changed, or less than the figure shows
        return {"delta": "±0", "delta_color": "off", "delta_arrow": "off"}
    return {"delta": text}


def headline(ctx: shell.Context, kpis_now: dict[str, dict], kpis_before: dict[str, dict]) -> None:
    present = [k for k in HEADLINE_KPIS if k in kpis_now]
    if not present:
        st.info(t("overview.no_kpis"))
        return
    for col, kpi_id in zip(st.columns(len(present)), present):
        kpi = kpis_now[kpi_id]
        col.metric(md(data.kpi_label(ctx, kpi)), fmt_number(kpi.get("value"), kpi.get("unit")),
                   help=md(kpi.get("description")) or None, **delta(kpi, kpis_before.get(kpi_id)))


def kpi_table(ctx: shell.Context, kpis_now: dict[str, dict], kpis_before: dict[str, dict], *,
              for_csv: bool = False) -> pd.DataFrame:
    """Every KPI of the region with its value now and at the end of the previous quarter; on screen the date is
    written the reader's way, in the CSV as ISO."""
    return pd.DataFrame([{
        t("kpi.col.id"): kpi["id"],
        t("kpi.col.name"): data.kpi_label(ctx, kpi),
        t("kpi.col.value"): kpi.get("value"),
        t("kpi.col.previous"): (kpis_before.get(kpi["id"]) or {}).get("value"),
        t("kpi.col.unit"): fmt_unit(kpi.get("unit")),
        t("kpi.col.as_of"): kpi.get("as_of") if for_csv else fmt_date(kpi.get("as_of")),
    } for kpi in kpis_now.values()])


def goal_summary(ctx: shell.Context, goal: dict, unit: str | None) -> None:
    """A goal's card line: status, progress, and its forecast against the target in the KPI's unit."""
    st.markdown(f"**{md(goal.get('title') or data.kpi_label(ctx, goal.get('kpi', '')))}**")
    status_badge(goal.get("status"))
    progress_bar(goal.get("progress"), goal.get("expected_progress"))
    st.caption(t("goal.forecast_vs_target", forecast=fmt_number(goal.get("forecast"), unit),
                 target=fmt_number(goal.get("target_value"), unit), date=md(fmt_date(goal.get("target_date")))))


def effects(ctx: shell.Context, area_now: dict[str, dict] | None, area_before: dict[str, dict] | None) -> None:
    if area_now is None:
        return
    shown = [k for k in area_now.values() if k["id"].startswith("effect.") and k.get("value")]
    if not shown:
        st.caption(t("overview.no_effects"))
        return
    st.markdown(f"*{t('overview.effects')}*")
    for kpi in shown:
        st.metric(md(data.kpi_label(ctx, kpi)), fmt_number(kpi["value"], kpi.get("unit")),
                  **delta(kpi, (area_before or {}).get(kpi["id"])))


def render() -> None:
    ctx = shell.current()
    st.header(t("overview.title"))
    before_date = data.previous_quarter_end(ctx.as_of)
    st.caption(t("overview.as_of", date=fmt_date(ctx.as_of), before=fmt_date(before_date)))
    kpis_now = data.kpis(ctx)
    kpis_before: dict[str, dict] = {}
    if kpis_now is not None:
        kpis_before = data.kpis(ctx, as_of=before_date) or {}
        headline(ctx, kpis_now, kpis_before)
    goals = data.goals(ctx) or []
    units = data.kpi_units(kpis_now)
    # every goal gets a card: also one set on a focus area the region's configuration no longer has
    cards = group_goals(goals, data.focus_areas(ctx), t("overview.whole_forum"))
    if not cards:
        return
    columns = st.columns(min(len(cards), 3))
    for index, card in enumerate(cards):
        with columns[index % len(columns)].container(border=True):
            st.subheader(md(card.name))
            if not card.configured:
                st.info(t("area.unconfigured_note", area=md(card.area_id)), icon=":material/info:")
            for goal in card.goals:
                goal_summary(ctx, goal, units.get(goal.get("kpi", "")))
            if not card.goals:
                st.caption(t("overview.no_goals"))
            if card.area_id is not None and card.configured and kpis_now is not None:
                effects(ctx, data.kpis(ctx, focus_area=card.area_id), data.kpis(ctx, focus_area=card.area_id, as_of=before_date))
    if kpis_now:
        with st.expander(t("overview.all_kpis")):
            st.dataframe(kpi_table(ctx, kpis_now, kpis_before), hide_index=True, key="overview_kpis")
            csv_download(kpi_table(ctx, kpis_now, kpis_before, for_csv=True),
                         f"kpis-{ctx.region}-{ctx.as_of.isoformat()}.csv", key="overview_kpis_csv")


if __name__ == "__main__":
    render()
