"""Plotly figures: KPI series with target and forecast, the measures funnel, the organisation network.

Every text a figure is given (names of KPIs, indicators and organisations come from the services) is shown as typed:
Plotly would otherwise render HTML such as `<a href>` in it (see `ui.markup`).
"""

from __future__ import annotations

from datetime import date

import networkx as nx
import plotly.graph_objects as go

from ui.markup import plotly_text

SECTOR_COLOURS = {
    "county": "#1f77b4", "municipality": "#2ca02c", "state_agency": "#9467bd", "university_college": "#d62728",
    "vocational_college": "#ff7f0e", "employer_organisation": "#8c564b", "union": "#e377c2", "business": "#17becf",
    "voluntary": "#bcbd22", "other": "#7f7f7f",
}


def kpi_series(points: list[tuple[date, float]], *, name: str, target: tuple[date, float] | None = None,
               baseline: tuple[date, float] | None = None, forecast: tuple[date, float] | None = None,
               labels: dict[str, str]) -> go.Figure:
    """The KPI's observations, the straight path from baseline to target, and the forecast to the target date."""
    fig = go.Figure()
    if points:
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers",
                                 name=plotly_text(name)))
    if baseline and target:
        fig.add_trace(go.Scatter(x=[baseline[0], target[0]], y=[baseline[1], target[1]], mode="lines",
                                 name=plotly_text(labels["target"]), line={"dash": "dash", "color": "#2ca02c"}))
    if target:
        fig.add_hline(y=target[1], line={"dash": "dot", "color": "#2ca02c", "width": 1})
    if forecast and (points or baseline):
        start = points[-1] if points else baseline
        fig.add_trace(go.Scatter(x=[start[0], forecast[0]], y=[start[1], forecast[1]], mode="lines+markers",
                                 name=plotly_text(labels["forecast"]), line={"dash": "dot", "color": "#ff7f0e"}))
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=340, legend={"orientation": "h"})
    return fig


def funnel(stages: list[tuple[str, float]], title: str) -> go.Figure:
    fig = go.Figure(go.Funnel(y=[plotly_text(s[0]) for s in stages], x=[s[1] for s in stages], textinfo="value"))
    fig.update_layout(title=plotly_text(title), margin={"l": 10, "r": 10, "t": 40, "b": 10}, height=320)
    return fig


def network(nodes: list[dict], ties: list[dict], *, sector_label, size_by: str = "betweenness") -> go.Figure:
    """Organisations placed by a seeded spring layout (stable between runs), coloured by sector, sized by centrality."""
    graph = nx.Graph()
    for node in nodes:
        graph.add_node(node["id"])
    for tie in ties:
        graph.add_edge(tie["a"], tie["b"], weight=float(tie.get("weight") or 1))
    pos = nx.spring_layout(graph, seed=7, weight="weight") if graph.number_of_nodes() else {}
    edge_x: list = []
    edge_y: list = []
    for tie in ties:
        if tie["a"] in pos and tie["b"] in pos:
            (x0, y0), (x1, y1) = pos[tie["a"]], pos[tie["b"]]
            edge_x += [x0, x1, None]
            edge_y += [y0, y1, None]
    fig = go.Figure(go.Scatter(x=edge_x, y=edge_y, mode="lines", line={"width": 0.6, "color": "#bbbbbb"},
                               hoverinfo="skip", showlegend=False))
    largest = max([float(n.get(size_by) or 0) for n in nodes] + [1e-9])
    for sector in sorted({n.get("sector") or "other" for n in nodes}):
        members = [n for n in nodes if (n.get("sector") or "other") == sector and n["id"] in pos]
        fig.add_trace(go.Scatter(
            x=[pos[n["id"]][0] for n in members], y=[pos[n["id"]][1] for n in members], mode="markers",
            name=plotly_text(sector_label(sector)), text=[plotly_text(n.get("name") or n["id"]) for n in members],
            hoverinfo="text",
            marker={"size": [10 + 30 * float(n.get(size_by) or 0) / largest for n in members],
                    "color": SECTOR_COLOURS.get(sector, "#7f7f7f"), "line": {"width": 1, "color": "white"}}))
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis={"visible": False},
                      yaxis={"visible": False}, legend={"orientation": "h"})
    return fig
