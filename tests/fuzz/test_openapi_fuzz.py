"""Schemathesis against every service's OpenAPI, with a coordinator's token: no 5xx, and no response
that breaks the service's own schema. The number of examples is bounded for `make test`;
KF_FUZZ_EXAMPLES raises it for a longer run."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance, status_code_conformance

from kf.registry import available_services
from kf.testing.fixtures import auth, tokens_json
from kf.testing.stack import Stack

EXAMPLES = int(os.environ.get("KF_FUZZ_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("fuzz"), env={"KF_API_TOKENS": tokens_json()}).start()
    yield stack
    stack.stop()


@pytest.mark.parametrize("service", [s.name for s in available_services()])
def test_no_input_makes_a_service_fail_or_break_its_schema(service, stack):
    base = stack.url(service)
    schema = schemathesis.openapi.from_url(base + "/openapi.json")
    statuses: Counter = Counter()
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def exercise(case) -> None:
            response = case.call(base_url=base, headers=auth("coordinator"), timeout=10)
            statuses[response.status_code // 100] += 1
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert operations > 0
    assert not failures, "\n\n".join(failures) + "\n" + stack.log_tail()
    assert statuses[5] == 0
    print(f"\nfuzz {service}: {operations} operations, responses by class {dict(sorted(statuses.items()))}")
