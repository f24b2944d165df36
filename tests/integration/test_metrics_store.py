"""Metrics storage on SQLite and PostgreSQL: the migrations create exactly the models, and on a migrated database
a corrected gathering leaves the hand-computed KPIs, with gathering ties kept only as pair summaries."""

from __future__ import annotations

from datetime import date

import pytest

from sqlalchemy import delete, func, inspect, select, text
from sqlalchemy.orm import Session

from alembic import command

from bench.history import AREAS, History, realistic
from kf.regiondata import load_region
from kf.runtime.alembic_tools import differences
from kf.registry import get_service
from kf.runtime.db import indexes_set_aside, make_engine
from kf.runtime.migrations import alembic_config
from kf.testing.fixtures import migrate
from services.metrics import store as t
from services.metrics import refresh
from services.metrics.consumers import finish_pending_derive
from services.metrics.derive import derive_all, is_pending, mark_pending
from services.metrics.handlers import apply_envelopes
from services.metrics.store import clear_projections
from services.metrics.queries import kpi_values


DATES = (date(2019, 4, 30), date(2019, 12, 31), date(2030, 1, 1))


def all_kpis(s: Session) -> dict:
    region = load_region("ostfold")
    return {(f, d): kpi_values(s, region, f, d) for f in (None, *AREAS) for d in DATES}


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


def test_upgrading_to_the_dated_counters_fills_them_from_the_facts(database_url):
    """A database from before the counters (revision 0004), or before the tie counts (0006), gets them filled by
    the migrations: the KPIs are the ones incremental consumption gives."""
    history = realistic(300, seed=11).events
    migrate("metrics", database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            apply_envelopes(s, history, ["ostfold"], batch_size=25)
            s.commit()
            incremental = all_kpis(s)
        config = alembic_config("metrics", str(get_service("metrics").migrations_dir()), database_url)
        command.downgrade(config, "0004_metrics")  # the counters and the merged pair summary are gone
        command.upgrade(config, "head")
        with Session(engine) as s:  # marked for a derive, which the service runs when it starts
            assert is_pending(s)
            finish_pending_derive(s)
            s.commit()
            assert s.execute(select(func.count()).select_from(t.counts)).scalar_one() > 0
            assert all_kpis(s) == incremental
        command.downgrade(config, "0006_metrics")  # before the tie counts: the tie KPIs would read zero
        with Session(engine) as s:
            assert not s.execute(text("SELECT count(*) FROM mx_counts WHERE metric = 'ties'")).scalar_one()
        command.upgrade(config, "head")
        with Session(engine) as s:
            assert all_kpis(s) == incremental
    finally:
        engine.dispose()


def test_upgrading_across_a_change_of_kpi_rules_derives_again_where_there_are_facts(database_url):
    """Revision 0012 changed what memberships and expected effects contribute: a database holding them is marked for
    a derive (the service runs it before consuming); a new one is not."""
    config = alembic_config("metrics", str(get_service("metrics").migrations_dir()), database_url)
    migrate("metrics", database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            assert not is_pending(s)  # a new database: nothing to derive
            apply_envelopes(s, realistic(300, seed=11).events, ["ostfold"], batch_size=25)
            s.commit()
            incremental = all_kpis(s)
        command.downgrade(config, "0011_metrics")  # the facts stay; later tables go (updates fall before DATES)
        with Session(engine) as s:
            s.execute(delete(t.derive_pending))  # as at 0011 with its derived tables current
            s.commit()
        command.upgrade(config, "head")
        with Session(engine) as s:
            assert is_pending(s)
            derive_all(s)
            s.commit()
            assert not is_pending(s) and all_kpis(s) == incremental
    finally:
        engine.dispose()


def test_facts_first_then_derived_at_once_gives_the_incremental_kpis(database_url):
    """What `kf replay metrics` does: facts batch by batch, the pair summaries and counters once at the end. Until
    then the facts are written by primary key only, and on SQLite without their secondary indexes, which the derive
    builds once instead of updating them at every row."""
    history = realistic(300, seed=13).events
    migrate("metrics", database_url)
    engine = make_engine(database_url)
    wanted = {i.name for table in t.FACTS for i in table.indexes}
    try:
        with Session(engine) as s:
            apply_envelopes(s, history, ["ostfold"], batch_size=25)
            s.commit()
            incremental = all_kpis(s)
            clear_projections(s, [])
            mark_pending(s)
            s.commit()
        present = {i["name"] for table in t.FACTS for i in inspect(engine).get_indexes(table.name)}
        assert present == (set() if engine.dialect.name == "sqlite" else wanted)
        with Session(engine) as s:
            apply_envelopes(s, history, ["ostfold"], batch_size=25, derive=False)  # derives at the end
            s.commit()
            assert s.execute(select(func.count()).select_from(t.pair_firsts)).scalar_one() > 0
            assert all_kpis(s) == incremental
        # The rebuild set the derived tables' indexes aside on SQLite and restored the facts': all are back, as the
        # migrations made them.
        assert differences(t.metadata, database_url, "metrics") == []
    finally:
        engine.dispose()


def test_a_rebuild_that_fails_leaves_the_derived_tables_and_their_indexes_as_they_were(database_url, monkeypatch):
    history = realistic(200, seed=17).events
    migrate("metrics", database_url)
    engine = make_engine(database_url)

    def fail(_s):
        raise RuntimeError("disk full")
    try:
        with Session(engine) as s:
            apply_envelopes(s, history, ["ostfold"], batch_size=25)
            s.commit()
            before = all_kpis(s)
            monkeypatch.setattr(refresh, "rebuild", fail)  # after the pair summaries were rewritten
            with pytest.raises(RuntimeError):
                derive_all(s)
            s.rollback()
            assert all_kpis(s) == before
        assert differences(t.metadata, database_url, "metrics") == []
    finally:
        engine.dispose()


def test_indexes_set_aside_come_back_when_the_block_fails_before_the_transaction_wrote(database_url):
    # pysqlite opens a transaction only at the first write; a DROP INDEX before it would have been committed at once.
    migrate("metrics", database_url)
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            with pytest.raises(RuntimeError), indexes_set_aside(s, [t.contributions, t.pair_firsts]):
                raise RuntimeError("stopped")
            s.rollback()
        assert differences(t.metadata, database_url, "metrics") == []
    finally:
        engine.dispose()
