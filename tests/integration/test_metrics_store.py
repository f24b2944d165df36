"""Metrics storage on SQLite and PostgreSQL: the migrations create exactly the models, and on a migrated database
a corrected gathering leaves the hand-computed KPIs, with gathering ties kept only as pair summaries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.history import History
from kf.regiondata import load_region
from kf.runtime.alembic_tools import differences
from kf.runtime.db import make_engine
from kf.testing.fixtures import migrate
from services.metrics import store as t
from services.metrics.handlers import apply_envelopes
from services.metrics.queries import kpi_values


def test_the_migrations_create_exactly_the_models(database_url):
    migrate("metrics", database_url)
    assert differences(t.metadata, database_url, "metrics") == []


def test_kpis_on_a_migrated_database_equal_the_hand_computed_ones(database_url):
    migrate("metrics", database_url)
    h = History()
    h.held("G", date(2021, 3, 1), [("p1", "o1", "county"), ("p2", "o2", "business"), ("p3", "o3", "county")], ("inclusion",))
    h.held("G", date(2021, 3, 1), [("p1", "o1", "county"), ("p2", "o2", "business")], ("inclusion",))  # corrected
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            apply_envelopes(s, h.events, ["ostfold"], batch_size=1)
            s.commit()
            v = kpi_values(s, load_region("ostfold"), "inclusion", date(2021, 12, 31))
            assert (v["cross_sector_ties"], v["attendances"], v["gatherings_held"]) == (1, 2, 1)
            assert s.execute(select(func.count()).select_from(t.ties)).scalar_one() == 0  # measures only
            assert s.execute(text("SELECT count(*) FROM mx_pairs WHERE origin = 'gathering'")).scalar_one() == 1
    finally:
        engine.dispose()
