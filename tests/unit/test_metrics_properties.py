"""Property: any interleaving of a generated history, with duplicates and redeliveries, gives the same KPIs
as applying each event once in order."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bench.history import AREAS, realistic
from kf.regiondata import load_region
from services.metrics.handlers import apply_envelopes
from services.metrics.queries import kpi_values, kpi_values_from_facts
from services.metrics.store import metadata

REGION = load_region("ostfold")
DATES = (date(2019, 3, 20), date(2019, 9, 30), date(2030, 1, 1))


def kpis_after(envelopes, batch_size: int) -> dict:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    try:
        with Session(engine) as s:
            # Batches as the consumer fetches them: a batch keeps each row's newest version, then writes it.
            apply_envelopes(s, envelopes, ["ostfold"], batch_size=batch_size)
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


def test_the_generated_history_exercises_every_kpi():
    values = kpis_after(realistic(400, seed=7).events, batch_size=50)
    empty = [k for k in values[(None, DATES[0])] if not any(v[k] for v in values.values())]
    assert not empty, f"KPIs the property test would not exercise: {empty}"
