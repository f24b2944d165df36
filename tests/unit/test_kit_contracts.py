"""The event envelope, type names, subjects and upcasting."""

import json

import pytest

from kf.contracts import membership as ev
from kf.contracts.catalog import register_upcaster, upcast
from kf.contracts.envelope import MAX_EVENT_BYTES, EnvelopeError, parse_data, parse_envelope, wrap
from kf.contracts.subjects import event_subject, stream_name, stream_subjects


def _joined(**over):
    data = dict(membership_id="m1", group_id="g1", person_id="p1", organisation_id="o1", sector="union",
                role_kind="elected_representative", role="member", joined_on="2020-01-15")
    data.update(over)
    return ev.MemberJoined(**data)


def test_type_and_subject_follow_the_conventions():
    assert ev.MemberJoined.type_name() == "no.kompetanseforum.member.joined.v1"
    assert ev.MemberJoined.subject("ostfold") == "kf.ostfold.membership.member.joined"
    assert stream_name("membership") == "KF_MEMBERSHIP" and stream_subjects("membership") == ["kf.*.membership.>"]
    with pytest.raises(ValueError, match="region"):
        event_subject("øst.fold", "membership", "member", "joined")


def test_an_event_round_trips_through_its_cloudevents_envelope():
    envelope = wrap(_joined(), region="ostfold", subject="m1")
    raw = envelope.to_json()
    doc = json.loads(raw)
    assert doc["specversion"] == "1.0" and doc["source"] == "/ostfold/membership" and doc["region"] == "ostfold"
    assert doc["time"].endswith("Z") and doc["datacontenttype"] == "application/json"
    assert parse_data(parse_envelope(raw)) == _joined()


def test_events_are_frozen_and_refuse_unknown_fields():
    event = _joined()
    with pytest.raises(Exception):
        event.person_id = "other"
    with pytest.raises(Exception):
        _joined(name="Kari Nordmann")  # personal data has no place in an event


@pytest.mark.parametrize("raw,expected", [
    (b"not json", "Invalid JSON"),
    (b'{"specversion":"0.3"}', "specversion"),
    (json.dumps({"specversion": "1.0", "id": "x", "source": "/a/b", "type": "t", "time": "2021-01-01T00:00:00",
                 "region": "ostfold", "data": {}}).encode(), "time"),
    (b"{" + b" " * MAX_EVENT_BYTES + b"}", "larger than"),
])
def test_broken_envelopes_are_refused_with_the_reason(raw, expected):
    with pytest.raises(EnvelopeError, match=expected):
        parse_envelope(raw)


def test_wrong_data_for_a_known_type_names_the_field():
    envelope = wrap(_joined(), region="ostfold", subject="m1").model_copy(update={"data": {"membership_id": "m1"}})
    with pytest.raises(EnvelopeError, match="group_id"):
        parse_data(envelope)


def test_an_unknown_type_is_not_an_error():
    envelope = wrap(_joined(), region="ostfold", subject="m1").model_copy(update={"type": "no.kompetanseforum.member.joined.v9"})
    assert parse_data(envelope) is None


def test_an_upcaster_turns_an_old_version_into_the_current_one():
    @register_upcaster("no.kompetanseforum.mandate.confirmed.v0", "no.kompetanseforum.mandate.confirmed.v1")
    def _v0_to_v1(data):
        return {**{k: v for k, v in data.items() if k != "date"}, "confirmed_on": data["date"]}

    type_name, data = upcast("no.kompetanseforum.mandate.confirmed.v0",
                             {"membership_id": "m", "person_id": "p", "organisation_id": "o", "date": "2020-01-01"})
    assert type_name == ev.MandateConfirmed.type_name()
    assert ev.MandateConfirmed.model_validate(data).confirmed_on.isoformat() == "2020-01-01"


def test_the_largest_gathering_the_events_api_accepts_fits_in_an_event():
    """Once the API took 2,000 attendees while consumers refused events over 256 KiB (about 1,750 attendees): a
    gathering held by the events service vanished from every KPI into the dead-letter stream."""
    from kf.contracts import events as ee
    from services.events.schemas import AttendeeIn, HoldIn

    most = next(m.max_length for m in HoldIn.model_fields["attendees"].metadata if hasattr(m, "max_length"))
    longest_id = next(m.max_length for m in AttendeeIn.model_fields["person_id"].metadata if hasattr(m, "max_length"))
    held = ee.GatheringHeld(
        gathering_id="g" * 64, kind=max(ee.GatheringKind, key=len), held_on="2021-03-01", focus_areas=("a" * 64,) * 20,
        hosting_group_id="h" * 64,
        attendees=tuple(ee.Attendee(person_id=f"{i:0{longest_id}d}", role=max(ee.AttendeeRole, key=len),
                                    organisation_id="o" * 64, sector=max(ev.Sector, key=len)) for i in range(most)))
    raw = wrap(held, region="vestfold-telemark", subject="g" * 64).to_json()
    assert most == 2000 and len(raw) > 256 * 1024  # what the old limit refused
    assert parse_data(parse_envelope(raw)) == held


@pytest.mark.parametrize(("field", "value", "words"), [
    ("measure_id", "m" * 65, "at most 64"),
    ("decided_on", "2021-02-30", "date"),
])
def test_ids_longer_than_the_consumers_columns_are_refused_at_parsing(field, value, words):
    from kf.contracts import measures as ms
    data = {"measure_id": "m1", "focus_area": "inclusion", "decided_on": "2021-03-01", "decided_by": "Styringsgruppen",
            "rationale": "Godt forankret", field: value}
    raw = json.dumps({"specversion": "1.0", "id": "e1", "source": "/ostfold/measures", "type": ms.MeasureAdopted.type_name(),
                      "time": "2021-03-01T10:00:00Z", "region": "ostfold", "data": data}).encode()
    with pytest.raises(EnvelopeError, match=field) as refused:
        parse_data(parse_envelope(raw))
    assert words in str(refused.value)


@pytest.mark.parametrize("moment", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-05:00", "1850-06-01T12:00:00Z"])
def test_an_event_time_without_a_utc_equivalent_in_range_is_refused(moment):
    raw = wrap(_joined(), region="ostfold", subject="m1").to_json().replace(b'"time":"', b'"time":"' + moment.encode() + b'","x":"', 1)
    with pytest.raises(EnvelopeError, match="time"):
        parse_envelope(raw)
