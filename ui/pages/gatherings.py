"""Samlinger og informasjon / Gatherings and information: meetings, attendance, sector mixing, reach by audience."""

from __future__ import annotations

from collections import Counter
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ui import data, shell
from ui.charts import SECTOR_COLOURS
from ui.components import csv_download, fmt_date, fmt_number
from ui.i18n import t
from ui.markup import md, plotly_text

HEADLINE = ("gatherings_held", "attendances", "members_active_share", "communications_published", "communication_reach")


def sector_mix_figure(gatherings: list[dict]) -> go.Figure:
    """One bar per held gathering, split by the attendees' sectors."""
    counts = [(g, Counter(a["sector"] for a in g.get("attendees", []))) for g in gatherings]
    seen: Counter = Counter()
    labels = []
    for g, _ in counts:  # one bar per gathering even when two were held the same day
        day = fmt_date(g.get("held_on") or g["starts_at"][:10])
        seen[day] += 1
        labels.append(plotly_text(day if seen[day] == 1 else f"{day} ({seen[day]})"))
    fig = go.Figure()
    for sector in sorted({s for _, c in counts for s in c}):
        fig.add_trace(go.Bar(x=labels, y=[c.get(sector, 0) for _, c in counts], name=t(f"sector.{sector}"),
                             hovertext=[plotly_text(g["title"]) for g, _ in counts],
                             marker_color=SECTOR_COLOURS.get(sector)))
    fig.update_layout(barmode="stack", height=380, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend={"orientation": "h"},
                      xaxis={"type": "category"})
    return fig


def audience_kind(audience: dict) -> str:
    if audience.get("everyone"):
        return "everyone"
    for kind in ("group_ids", "sectors", "role_kinds", "focus_areas"):
        if audience.get(kind):
            return kind
    return "everyone"


def reach_table(communications: list[dict]) -> pd.DataFrame:
    rows: dict[tuple[str, str], dict] = {}
    for c in communications:
        key = (audience_kind(c.get("audience") or {}), c["channel"])
        row = rows.setdefault(key, {"audience": key[0], "channel": key[1], "count": 0, "recipients": 0, "views": 0})
        row["count"] += 1
        row["recipients"] += c.get("recipients") or 0
        row["views"] += c.get("views") or 0
    return pd.DataFrame([{
        t("comms.col.audience"): t(f"audience.{r['audience']}"),
        t("comms.col.channel"): t(f"channel.{r['channel']}"),
        t("comms.col.count"): r["count"],
        t("comms.col.recipients"): r["recipients"],
        t("comms.col.views"): r["views"],
    } for r in sorted(rows.values(), key=lambda r: (r["audience"], r["channel"]))],
        columns=[t(f"comms.col.{c}") for c in ("audience", "channel", "count", "recipients", "views")])


def render() -> None:
    ctx = shell.current()
    st.header(t("gatherings.title"))
    kpis = data.kpis(ctx)
    if kpis is not None:
        present = [k for k in HEADLINE if k in kpis]
        for col, kpi_id in zip(st.columns(len(present) or 1), present):
            col.metric(md(data.kpi_label(ctx, kpis[kpi_id])), fmt_number(kpis[kpi_id]["value"], kpis[kpi_id]["unit"]))
    start = data.activity_start(ctx, "gatherings_held")
    held_points = data.series(ctx, "gatherings_held", start=start, end=ctx.as_of, interval="quarter")
    attendance_points = data.series(ctx, "attendances", start=start, end=ctx.as_of, interval="quarter")
    if held_points and attendance_points:
        st.subheader(t("gatherings.over_time"))
        per_quarter = data.increments(attendance_points)
        fig = go.Figure(go.Bar(x=[p[0] for p in per_quarter], y=[p[1] for p in per_quarter],
                               name=plotly_text(data.kpi_label(ctx, "attendances")), marker_color="#9ecae1"))
        held = data.increments(held_points)
        fig.add_trace(go.Scatter(x=[p[0] for p in held], y=[p[1] for p in held], mode="lines+markers",
                                 name=plotly_text(data.kpi_label(ctx, "gatherings_held")), yaxis="y2",
                                 line={"color": "#08519c"}))
        fig.update_layout(height=320, margin={"l": 10, "r": 10, "t": 10, "b": 10}, legend={"orientation": "h"},
                          yaxis={"title": plotly_text(data.kpi_label(ctx, "attendances"))},
                          yaxis2={"overlaying": "y", "side": "right",
                                  "title": plotly_text(data.kpi_label(ctx, "gatherings_held")),
                                  "rangemode": "tozero", "tickformat": ",d"})
        st.plotly_chart(fig, key="gatherings_series")
    held = shell.fetch_all(ctx, "events", "/gatherings", state="held")
    if held is not None:
        st.subheader(t("gatherings.mixing"))
        st.caption(t("gatherings.mixing_help"))
        held = [g for g in held if not g.get("held_on") or g["held_on"] <= ctx.as_of.isoformat()]
        if held:
            st.plotly_chart(sector_mix_figure(held[-20:]), key="gatherings_mixing")
        else:
            st.info(t("gatherings.none_held"))
    communications = shell.fetch_all(ctx, "events", "/communications")
    if communications is not None:
        st.subheader(t("comms.reach"))
        communications = [c for c in communications if c["published_at"][:10] <= ctx.as_of.isoformat()]
        frame = reach_table(communications)
        if frame.empty:
            st.info(t("comms.none"))
        else:
            st.dataframe(frame, hide_index=True, key="comms_table")
            csv_download(frame, "communications-reach.csv", key="comms_csv")
    if kpis is not None and "communication_reach" in kpis:
        st.caption(t("comms.reach_kpi", value=fmt_number(kpis["communication_reach"]["value"])))


if __name__ == "__main__":
    render()
