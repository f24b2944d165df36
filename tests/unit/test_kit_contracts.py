"""The event envelope, type names, subjects and upcasting."""

import json

import pytest

from kf.contracts import membership as ev
from kf.contracts.catalog import register_upcaster, upcast
from kf.contracts.envelope import EnvelopeError, parse_data, parse_envelope, wrap
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
    (b"{" + b" " * 300_000 + b"}", "larger than"),
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
