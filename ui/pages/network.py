"""Nettverk / Network: who knows and works with whom across sectors, who bridges them, where decision-makers lack."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kf.contracts.membership import Sector
from ui import charts, data, shell
from ui.components import csv_download, fmt_number
from ui.i18n import t
from ui.markup import md, plotly_text

HEADLINE = ("cross_sector_ties", "network_density", "sectors_represented", "sector_diversity", "decision_maker_share")


def sector_label(sector: str | None) -> str:
    return t(f"sector.{sector or 'other'}")


def bridging(nodes: list[dict], ties: list[dict], names: dict[str, str]) -> pd.DataFrame:
    """Organisations by betweenness centrality, with how many other sectors they have ties to."""
    sector_of = {n["id"]: n.get("sector") for n in nodes}
    reached: dict[str, set] = {n["id"]: set() for n in nodes}
    for tie in ties:
        for me, other in ((tie["source"], tie["target"]), (tie["target"], tie["source"])):
            if sector_of.get(other) and sector_of.get(other) != sector_of.get(me):
                reached.setdefault(me, set()).add(sector_of[other])
    ranked = sorted(nodes, key=lambda n: (-float(n.get("betweenness_centrality") or 0), -len(reached.get(n["id"], ()))))
    columns = [t(f"network.col.{c}") for c in ("organisation", "sector", "other_sectors", "ties", "betweenness")]
    return pd.DataFrame([{
        t("network.col.organisation"): names.get(n["id"], n["id"]),
        t("network.col.sector"): sector_label(n.get("sector")),
        t("network.col.other_sectors"): len(reached.get(n["id"], ())),
        t("network.col.ties"): n.get("degree"),
        t("network.col.betweenness"): round(float(n.get("betweenness_centrality") or 0), 3),
    } for n in ranked[:10]], columns=columns)


def lacking_decision_makers(sectors: list[dict]) -> pd.DataFrame:
    """Sectors whose organisations have no active leader or decision-maker, and sectors not in the forum at all."""
    by_sector = {row["sector"]: row for row in sectors}
    rows = []
    for sector in Sector:
        row = by_sector.get(sector.value)
        if row is None:
            rows.append({t("network.col.sector"): sector_label(sector.value), t("network.col.situation"): t("network.not_represented")})
        elif not row.get("decision_makers"):
            rows.append({t("network.col.sector"): sector_label(sector.value),
                         t("network.col.situation"): t("network.no_decision_makers", members=row.get("active_members", 0))})
    return pd.DataFrame(rows)


def render() -> None:
    ctx = shell.current()
    st.header(t("network.title"))
    kpis = data.kpis(ctx)
    if kpis is not None:
        present = [k for k in HEADLINE if k in kpis]
        for col, kpi_id in zip(st.columns(len(present) or 1), present):
            col.metric(md(data.kpi_label(ctx, kpis[kpi_id])), fmt_number(kpis[kpi_id]["value"], kpis[kpi_id]["unit"]))
    network = shell.fetch(ctx, "metrics", "/network", region=ctx.region, as_of=ctx.as_of.isoformat())
    organisations = shell.fetch_all(ctx, "membership", "/organisations") or []
    names = {o["id"]: o["name"] for o in organisations}
    if network is not None:
        nodes = [{**n, "name": names.get(n["id"], n["id"])} for n in network["nodes"]]
        ties = [{"a": e["source"], "b": e["target"], "weight": e["weight"]} for e in network["ties"]]
        st.subheader(t("network.graph"))
        st.caption(t("network.graph_help"))
        if nodes:
            st.plotly_chart(charts.network(nodes, ties, sector_label=sector_label, size_by="betweenness_centrality"),
                            key="network_graph")
        else:
            st.info(t("network.empty"))
    start = data.activity_start(ctx, "cross_sector_ties")
    points = data.series(ctx, "cross_sector_ties", start=start, end=ctx.as_of, interval="quarter")
    if points is not None:
        st.subheader(t("network.ties_over_time"))
        fig = go.Figure(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers",
                                   name=plotly_text(data.kpi_label(ctx, "cross_sector_ties"))))
        fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 10, "b": 10})
        st.plotly_chart(fig, key="network_ties_series")
    if network is None:
        return
    left, right = st.columns(2)
    with left:
        st.subheader(t("network.lacking"))
        lacking = lacking_decision_makers(network.get("sectors", []))
        if lacking.empty:
            st.success(t("network.all_have_decision_makers"))
        else:
            st.dataframe(lacking, hide_index=True, key="network_lacking")
    with right:
        st.subheader(t("network.bridging"))
        frame = bridging(network["nodes"], network["ties"], names)
        if frame.empty:  # no organisation yet: nothing to rank, nothing to download
            st.caption(t("network.empty"))
        else:
            st.dataframe(frame, hide_index=True, key="network_bridging")
            csv_download(frame, "bridging-organisations.csv", key="network_csv")


if __name__ == "__main__":
    render()
