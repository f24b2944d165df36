"""Metrics: KPI projections, the KPI catalogue and the goal-tracking engine."""
