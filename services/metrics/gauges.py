"""Prometheus: every KPI as a gauge `kf_kpi_value{region,kpi,focus_area}`, computed when scraped."""

from __future__ import annotations

import logging
from datetime import date

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.metrics.kpis import catalogue

log = logging.getLogger("kf.metrics.gauges")


class KpiCollector(Collector):
    def __init__(self, usecases) -> None:
        self.uc = usecases

    def describe(self):
        # Describing must not compute (it runs at registration, before the database may be ready).
        return [GaugeMetricFamily("kf_kpi_value", "KPI value as of today", labels=["region", "kpi", "focus_area"])]

    def collect(self):
        family = GaugeMetricFamily("kf_kpi_value", "KPI value as of today", labels=["region", "kpi", "focus_area"])
        today = date.today()
        try:
            with self.uc.rt.db.transaction() as s:
                for region in self.uc.regions:
                    area_ids = [f.id for f in self.uc.region(region).focus_areas]
                    kpis = catalogue(self.uc.region(region))
                    for focus in (None, *area_ids):
                        wanted = [k for k in kpis if focus is None or k.per_focus_area]
                        for kpi_id, value in self.uc.values(s, region, focus, today, wanted).items():
                            if value is not None:
                                family.add_metric([region, kpi_id, focus or ""], float(value))
        except Exception as exc:  # noqa: BLE001 - a scrape without KPI gauges beats a failed scrape
            log.warning("KPI gauges not computed", extra={"error": type(exc).__name__})
        yield family
