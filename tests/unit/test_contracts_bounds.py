"""Bounds of the event contracts: every business date lies in the years of `Moment` (1900-2999), every figure is a
finite number of at most 1e12 either way, and an envelope's `region` is a region id; and the kit's consumer refuses an
event whose envelope does not match the subject it came on, while every event the outbox publishes passes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from nats.aio.msg import Msg
from pydantic import TypeAdapter, ValidationError

import kf.contracts.events  # noqa: F401 - registers the events
import kf.contracts.measures  # noqa: F401
import kf.contracts.metrics  # noqa: F401
from kf.contracts import events as ee
from kf.contracts import measures as ms
from kf.contracts import membership as mb
from kf.contracts.catalog import registered_events
from kf.contracts.envelope import CloudEvent, EnvelopeError, parse_data, parse_envelope, wrap
from kf.runtime.consumer import EventConsumer
from kf.runtime.telemetry import ServiceMetrics


def _fields_of_kind(kind: str) -> list[tuple[type, str]]:
    """(event class, field name) of every field of every registered event whose JSON schema is a date (`date`) or a
    number (`number`), also when optional."""
    out = []
    for model in registered_events():
        for name, prop in model.model_json_schema()["properties"].items():
            options = prop.get("anyOf", [prop])
            if any((o.get("format") == "date") if kind == "date" else (o.get("type") == "number") for o in options):
                out.append((model, name))
    return out


DATE_FIELDS = _fields_of_kind("date")
NUMBER_FIELDS = _fields_of_kind("number")


def test_the_catalogue_has_the_date_and_number_fields_these_tests_cover():
    assert len(DATE_FIELDS) == 23 and (ee.GatheringHeld, "held_on") in DATE_FIELDS
    assert {(m.short_name(), f) for m, f in NUMBER_FIELDS} == {
        ("measure.effect_expected", "baseline"), ("measure.effect_expected", "target"),
        ("measure.effect_reported", "value"), ("goal.set", "baseline_value"), ("goal.set", "target_value"),
        ("goal.revised", "baseline_value"), ("goal.revised", "target_value")}


@pytest.mark.parametrize(("model", "field"), DATE_FIELDS, ids=lambda x: getattr(x, "__name__", x))
def test_every_business_date_is_bounded_to_the_years_of_a_moment(model, field):
    check = TypeAdapter(model.model_fields[field].rebuild_annotation())
    for ok in ("1900-01-01", "2024-02-29", "2999-12-31"):
        assert check.validate_python(ok).isoformat() == ok
    for bad, words in (("9999-12-31", "less than 3000-01-01"), ("3000-01-01", "less than 3000-01-01"),
                       ("0001-01-01", "greater than or equal to 1900-01-01"), ("1899-12-31", "greater than or equal")):
        with pytest.raises(ValidationError, match=words):
            check.validate_python(bad)


@pytest.mark.parametrize(("model", "field"), NUMBER_FIELDS, ids=lambda x: getattr(x, "__name__", x))
def test_every_figure_is_finite_and_at_most_1e12_either_way(model, field):
    check = TypeAdapter(model.model_fields[field].rebuild_annotation())
    for ok in (0, 5, -3.5, 1e12, -1e12):
        assert check.validate_python(ok) == ok
    for bad, words in ((float("nan"), "finite"), (float("inf"), "finite"), (float("-inf"), "finite"),
                       (1.5e308, "less than or equal to 1000000000000"), (-1e13, "greater than or equal to")):
        with pytest.raises(ValidationError, match=words):
            check.validate_python(bad)


def _held(held_on: str = "2021-03-01") -> bytes:
    held = ee.GatheringHeld(gathering_id="G1", kind="workshop", held_on="2021-03-01", attendees=(
        ee.Attendee(person_id="p1", role="participant", organisation_id="o1", sector="county"),))
    return wrap(held, region="ostfold", subject="G1").to_json().replace(b'"2021-03-01"', f'"{held_on}"'.encode())


def _report(value: bytes = b"5.0") -> bytes:
    report = ms.MeasureEffectReported(measure_id="m1", report_id="r1", focus_area="inclusion", indicator="apprenticeships",
                                      value=5.0, period_start="2024-01-01", period_end="2024-01-31", source="SSB",
                                      reported_by_person_id="p1")
    raw = wrap(report, region="ostfold", subject="m1").to_json()
    assert b'"value":5.0' in raw
    return raw.replace(b'"value":5.0', b'"value":' + value)


def test_events_valid_before_still_parse_as_they_did():
    assert parse_data(parse_envelope(_held())).held_on.isoformat() == "2021-03-01"
    assert parse_data(parse_envelope(_report(b"5"))).value == 5.0  # an integer figure, as JSON has it
    assert parse_data(parse_envelope(_report(b"-12.25"))).value == -12.25
    goal = {"goal_id": "g1", "title": "Flere læreplasser", "kpi": "members", "baseline_value": 0, "baseline_date": "2020-01-01",
            "target_value": 250, "target_date": "2025-12-31", "method": "linear"}
    raw = json.dumps({"specversion": "1.0", "id": "e1", "source": "/ostfold/metrics", "type": "no.kompetanseforum.goal.set.v1",
                      "time": "2021-03-01T10:00:00Z", "region": "ostfold", "data": goal}).encode()
    assert parse_data(parse_envelope(raw)).target_value == 250


@pytest.mark.parametrize("held_on", ["9999-12-31", "3000-01-01", "0001-01-01"])
def test_a_gathering_held_at_the_calendars_edge_is_refused_at_parsing_naming_the_field(held_on):
    """A gathering.held of 9999-12-31 once made the metrics service raise OverflowError on every delivery."""
    with pytest.raises(EnvelopeError, match="held_on"):
        parse_data(parse_envelope(_held(held_on)))


@pytest.mark.parametrize("value", [b"NaN", b"Infinity", b"-Infinity", b"1e13", b"1.5e308"])
def test_an_effect_report_that_is_not_a_finite_figure_is_refused_at_parsing_naming_the_field(value):
    """One NaN effect report once spoilt the effect KPI for good, even after a correction superseded it."""
    envelope = parse_envelope(_report(value))  # the envelope's `data` is any JSON object; the event is refused
    with pytest.raises(EnvelopeError, match=r"^no\.kompetanseforum\.measure\.effect_reported\.v1: value: Input should be"):
        parse_data(envelope)


@pytest.mark.parametrize("region", ["Ostfold", "øst-fold", "ost.fold", "kf.*", ">", "-ostfold", "ost fold", ""])
def test_an_envelope_region_that_is_not_a_region_id_is_refused(region):
    doc = json.loads(wrap(mb.PersonErased(person_id="p1"), region="ostfold", subject="p1").to_json())
    with pytest.raises(EnvelopeError, match="region"):
        parse_envelope(json.dumps({**doc, "region": region}).encode())


@pytest.mark.parametrize("region", ["ostfold", "vestfold-telemark", "agder", "region_2"])
def test_a_region_id_as_a_subject_token_is_a_valid_envelope_region(region):
    raw = wrap(mb.PersonErased(person_id="p1"), region=region, subject="p1").to_json()
    assert parse_envelope(raw).region == region


# The consumer's check of an envelope against its subject ---------------------------------------------------------

def _consumer(region: str | None = None) -> EventConsumer:
    return EventConsumer(db=None, owner="metrics", name="membership", source_service="membership", region=region,
                         handlers={mb.PersonErased: lambda *_: None}, js=lambda: None, metrics=ServiceMetrics("metrics"))


def _msg(subject: str, data: bytes) -> Msg:
    return Msg(_client=None, subject=subject, reply="$JS.ACK.KF_MEMBERSHIP.metrics-membership.1.7.7.1700000000.0",
               data=data)


def _erased(region: str = "ostfold") -> bytes:
    return wrap(mb.PersonErased(person_id="p1"), region=region, subject="p1").to_json()


def test_an_event_whose_envelope_matches_its_subject_is_parsed():
    item = _consumer()._parse(_msg("kf.ostfold.membership.person.erased", _erased()))
    assert item.problem is None and item.event == mb.PersonErased(person_id="p1")


def test_an_event_whose_envelope_names_another_region_than_its_subject_is_refused():
    item = _consumer()._parse(_msg("kf.vestfold-telemark.membership.person.erased", _erased("ostfold")))
    assert item.event is None
    assert item.problem == ("region: the envelope names region 'ostfold', but the event came on subject "
                            "'kf.vestfold-telemark.membership.person.erased' of region 'vestfold-telemark'")


def test_an_event_of_another_service_on_this_services_subject_is_refused():
    raw = wrap(ms.MeasureStarted(measure_id="m1", focus_area="inclusion", started_on="2021-03-01"), region="ostfold",
               subject="m1").to_json()
    item = _consumer()._parse(_msg("kf.ostfold.membership.measure.started", raw))
    assert item.problem == ("type: 'no.kompetanseforum.measure.started.v1' is an event of the measures service, but it "
                            "came on subject 'kf.ostfold.membership.measure.started' of the membership service")


def test_a_type_unknown_to_this_build_is_checked_for_its_region_only():
    doc = json.loads(_erased())
    newer = json.dumps({**doc, "type": "no.kompetanseforum.person.merged.v1"}).encode()
    assert _consumer()._parse(_msg("kf.ostfold.membership.person.merged", newer)).problem is None
    foreign = json.dumps({**doc, "type": "no.kompetanseforum.person.merged.v1", "region": "agder"}).encode()
    assert "region" in _consumer()._parse(_msg("kf.ostfold.membership.person.merged", foreign)).problem


@pytest.mark.parametrize("region", ["ostfold", "vestfold-telemark", "region_2"])
def test_every_event_as_the_outbox_publishes_it_passes_the_check(region):
    """The outbox (record_event) and bench.publish take the subject from the event's class and the envelope's region:
    nothing they publish is refused."""
    for model in registered_events():
        envelope = CloudEvent(id="e1", source=f"/{region}/{model.service}", type=model.type_name(),
                              time=datetime(2021, 3, 1, tzinfo=UTC), region=region, data={})
        consumer = EventConsumer(db=None, owner="x", name="y", source_service=model.service, js=lambda: None,
                                 metrics=ServiceMetrics("x"))
        item = consumer._parse(_msg(model.subject(region), envelope.to_json()))
        assert item.problem is None, (model, item.problem)
