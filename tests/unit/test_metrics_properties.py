"""Property: any interleaving of a generated history, with duplicates and redeliveries, gives the same KPIs
as applying each event once in order."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from bench.history import AREAS, realistic
from kf.contracts.envelope import parse_data
from kf.regiondata import load_region
from kf.runtime.consumer import BatchInfo, StopConsuming
from services.metrics import counters
from services.metrics import store as t
from services.metrics.catchup import CatchUp
from services.metrics.derive import derive_all, is_pending, mark_pending
from services.metrics.handlers import apply_envelopes, batch_handler
from services.metrics.helpers import near_the_end, worth_helping
from services.metrics.queries import kpi_values, kpi_values_from_facts
from services.metrics.store import metadata

REGION = load_region("ostfold")
# Before, between and after the generated updates of roles, sectors and focus areas (dated history).
DATES = (date(2019, 3, 4), date(2019, 3, 20), date(2019, 9, 30), date(2030, 1, 1))


def kpis_after(envelopes, batch_size: int, derive: bool = True) -> dict:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    try:
        with Session(engine) as s:
            # Batches as the consumer fetches them: a batch keeps each row's newest version, then writes it.
            # Or, as a replay does, only the facts batch by batch and the derived tables once at the end.
            apply_envelopes(s, envelopes, ["ostfold"], batch_size=batch_size, derive=derive)
            s.commit()
            values = {(focus, d): kpi_values(s, REGION, focus, d) for focus in (None, *AREAS) for d in DATES}
            for focus, d in values:  # counters and pair summaries must give what the fact tables give directly
                assert values[(focus, d)] == kpi_values_from_facts(s, REGION, focus, d), (focus, d)
            return values
    finally:
        engine.dispose()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(size=st.integers(20, 120), seed=st.integers(0, 10_000), rnd=st.randoms(use_true_random=False),
       dup_share=st.floats(0, 0.5))
def test_any_interleaving_with_duplicates_gives_the_same_kpis(size, seed, rnd, dup_share):
    history = realistic(size, seed=seed).events
    expected = kpis_after(history, batch_size=1)
    delivered = list(history)
    delivered += [rnd.choice(history) for _ in range(int(len(history) * dup_share))]  # redeliveries
    rnd.shuffle(delivered)
    assert kpis_after(delivered, batch_size=rnd.randint(1, 60)) == expected
    assert kpis_after(delivered, batch_size=rnd.randint(1, 60), derive=False) == expected


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.tuples(st.integers(40, 160), st.integers(40, 160)), seeds=st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)),
       batch_size=st.integers(1, 60))
def test_facts_restated_with_other_references_give_the_same_kpis_batch_by_batch(sizes, seeds, batch_size):
    # Two independently generated histories share ids with other data: a report re-stated for another measure or
    # superseding another report, a membership in another organisation. Batch by batch, the entity the old row
    # counted towards must lose it, as deriving once from the final facts gives.
    history = realistic(sizes[0], seed=seeds[0]).events + realistic(sizes[1], seed=seeds[1]).events
    assert kpis_after(history, batch_size=batch_size) == kpis_after(history, batch_size=batch_size, derive=False)


def test_the_generated_history_exercises_every_kpi():
    values = kpis_after(realistic(400, seed=7).events, batch_size=50)
    empty = [k for k in values[(None, DATES[0])] if not any(v[k] for v in values.values())]
    assert not empty, f"KPIs the property test would not exercise: {empty}"


def test_deriving_at_once_gives_the_rows_batch_by_batch_deriving_gave(monkeypatch):
    monkeypatch.setattr(counters, "INSERT_ROWS", 7)  # the rebuild's inserts in many small slices, as at 1M events
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    derived = (t.pairs, t.area_pairs, t.pair_firsts, t.pair_orgs, t.ties, t.contributions, t.counts)

    def rows(s):  # a sum that went back to zero stays as a zero row when derived batch by batch
        return {table.name: sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in r)
                                   for r in s.execute(select(table)) if table is not t.counts or r.value)
                for table in derived}
    try:
        with Session(engine) as s:
            apply_envelopes(s, realistic(600, seed=3).events, ["ostfold"], batch_size=40)
            before = rows(s)
            assert all(before[name] for name in ("mx_pairs", "mx_area_pairs", "mx_ties", "mx_counts"))
            mark_pending(s)
            derive_all(s)
            assert rows(s) == before
            assert not is_pending(s)
    finally:
        engine.dispose()


def test_far_behind_a_consumer_writes_facts_only_then_derives_once_near_the_end():
    history = realistic(600, seed=5).events
    expected = kpis_after(history, batch_size=50)
    items = [(env, parse_data(env)) for env in history]
    catch_up = CatchUp(threshold=100, near=50)
    apply = batch_handler(["ostfold"], catch_up=catch_up, consumer="all")
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    try:
        with Session(engine) as s:
            apply(s, items[:50], BatchInfo(backlog=len(items) - 50, last_seq=50))
            assert is_pending(s), "550 behind after 50: catching up"
            assert s.execute(select(func.count()).select_from(t.memberships)).scalar_one() > 0
            assert kpi_values(s, REGION, None, DATES[-1])["members"] == 0, "KPIs wait for the whole state"
            for i in range(50, len(items), 50):
                apply(s, items[i:i + 50], BatchInfo(backlog=max(0, len(items) - i - 50), last_seq=i + 50))
            assert not is_pending(s), "derived once within a batch of the end"
            values = {(focus, d): kpi_values(s, REGION, focus, d) for focus in (None, *AREAS) for d in DATES}
            assert values == expected
            # Near the end a consumer derives batch by batch again.
            apply(s, items[:10], BatchInfo(backlog=20, last_seq=len(items) + 10))
            assert not is_pending(s)
    finally:
        engine.dispose()


def test_a_consumer_that_finds_nothing_more_derives_when_helpers_took_the_last_batches():
    history = realistic(600, seed=5).events
    expected = kpis_after(history, batch_size=50)
    items = [(env, parse_data(env)) for env in history]
    catch_up = CatchUp(threshold=100, near=50)
    service = batch_handler(["ostfold"], catch_up=catch_up, consumer="measures")
    helper = batch_handler(["ostfold"], helper=True)
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    try:
        with Session(engine) as s:
            service(s, items[:50], BatchInfo(backlog=len(items) - 50, last_seq=50))
            assert is_pending(s)
            catch_up.before(s, "events", BatchInfo(backlog=500, last_seq=10))  # another consumer, far behind
            for i in range(50, len(items), 50):  # a helper applies the rest: the service never sees the end
                helper(s, items[i:i + 50], BatchInfo(backlog=max(0, len(items) - i - 50), last_seq=i + 50))
            assert not catch_up.idle(s, "measures"), "the events consumer is still far behind"
            assert is_pending(s) and kpi_values(s, REGION, None, DATES[-1])["members"] == 0
            assert catch_up.idle(s, "events"), "nothing more for either consumer: derived"
            assert not is_pending(s)
            values = {(focus, d): kpi_values(s, REGION, focus, d) for focus in (None, *AREAS) for d in DATES}
            assert values == expected
            with pytest.raises(StopConsuming):  # and the helper's next batch goes back to the service
                helper(s, items[:10], BatchInfo(backlog=0, last_seq=len(items) + 10))
            assert not catch_up.idle(s, "events"), "nothing left to derive"
    finally:
        engine.dispose()


def test_helpers_start_for_a_large_backlog_only_and_end_a_few_batches_before_the_end():
    batch = 1000
    assert not near_the_end([None, None, None], batch), "no batch yet: a helper just started does not end"
    assert not near_the_end([None, 50_000, 2_000], batch)
    assert near_the_end([None, 4_000, 0], batch), "the service applies the last few batches alone"
    assert worth_helping([100, 20_000], batch) and not worth_helping([100, 16_000], batch)
    # Between the two thresholds nothing starts or ends a helper: a helper that ended is not started again at once.
    assert not worth_helping([5_000], batch) and not near_the_end([5_000], batch)
