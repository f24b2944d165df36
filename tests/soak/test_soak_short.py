"""The short soak that runs in `make test`: a minute of mixed writes through four faults."""

import os

from tests.soak.harness import Soak


def test_nothing_is_lost_or_duplicated_through_restarts_and_crashes(tmp_path):
    duration = float(os.environ.get("KF_SOAK_SECONDS", "45"))
    report = Soak(tmp_path, duration).run()
    print("\n" + report.summary())
    assert report.faults == ["NATS restarted", "metrics SIGKILLed and restarted", "membership SIGKILLed and restarted",
                             "PostgreSQL restarted"]
    assert report.writes_accepted > 100
    assert not report.lost, report.summary()
    assert not report.duplicated, report.summary()
    assert not report.unexpected, report.summary()
    assert not report.kpi_mismatches, report.summary()
