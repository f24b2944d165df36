"""The events service's pure rules: the gathering lifecycle, attendance, audiences and the feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.events import domain
from services.events.domain import AudienceRule, CommunicationFacts, GatheringFacts, PersonFacts, Profile, RuleBroken

NOW = datetime(2021, 3, 1, 12, 0, tzinfo=UTC)
KARI = Profile("kari", sector="municipality", role_kind="leader", group_ids=frozenset({"g-incl", "g-steer"}),
               focus_areas=frozenset({"inclusion"}))


def _broken(fn, *args) -> RuleBroken:
    with pytest.raises(RuleBroken) as caught:
        fn(*args)
    return caught.value


# --- lifecycle -----------------------------------------------------------------------------------

def test_an_end_before_the_start_is_refused_naming_ends_at():
    err = _broken(domain.check_period, NOW, NOW - timedelta(hours=1))
    assert err.field == "ends_at" and "must be after" in str(err)
    assert _broken(domain.check_period, NOW, NOW).field == "ends_at"
    domain.check_period(NOW, NOW + timedelta(minutes=1))


@pytest.mark.parametrize("state, word", [("cancelled", "cancelled"), ("held", "already held")])
def test_only_a_scheduled_gathering_can_be_held_rescheduled_or_cancelled(state, word):
    for check in (domain.check_can_reschedule, domain.check_can_cancel):
        err = _broken(check, state)
        assert err.conflict and word in str(err)
    err = _broken(domain.check_can_hold, state, NOW - timedelta(days=1), NOW.date(), NOW)
    assert err.conflict and word in str(err) and "cannot be held" in str(err)
    domain.check_can_reschedule("scheduled")
    domain.check_can_cancel("scheduled")


def test_a_gathering_is_held_only_after_it_started_and_on_a_day_that_fits():
    err = _broken(domain.check_can_hold, "scheduled", NOW + timedelta(hours=1), NOW.date(), NOW)
    assert err.conflict and "before it starts" in str(err)
    started = NOW - timedelta(days=2)
    assert _broken(domain.check_can_hold, "scheduled", started, started.date() - timedelta(days=1), NOW).field == "held_on"
    assert _broken(domain.check_can_hold, "scheduled", started, NOW.date() + timedelta(days=1), NOW).field == "held_on"
    domain.check_can_hold("scheduled", started, started.date(), NOW)


def test_attendees_must_be_known_live_and_listed_once():
    known = {"a": PersonFacts("a", "org-1", "county"), "b": PersonFacts("b", "org-2", "business"),
             "gone": PersonFacts("gone", "org-1", "county", erased=True),
             "half": PersonFacts("half", None, None)}
    facts = domain.check_attendees(["b", "a"], known)
    assert [(f.person_id, f.sector) for f in facts] == [("b", "business"), ("a", "county")]

    dup = _broken(domain.check_attendees, ["a", "b", "a"], known)
    assert dup.field == "attendees.2.person_id" and "listed twice" in str(dup) and "attendees.0" in str(dup)
    unknown = _broken(domain.check_attendees, ["a", "nobody"], known)
    assert unknown.field == "attendees.1.person_id" and "no known person" in str(unknown)
    assert "erased" in str(_broken(domain.check_attendees, ["gone"], known))
    # Known only from an erasure, without organisation or sector: not enough to attend.
    assert _broken(domain.check_attendees, ["half"], known).field == "attendees.0.person_id"


def test_focus_areas_come_from_the_region_data():
    known = {"inclusion", "lifelong_learning"}
    domain.check_focus_areas(["inclusion"], known, "focus_areas")
    err = _broken(domain.check_focus_areas, ["inclusion", "space_travel"], known, "focus_areas")
    assert err.field == "focus_areas.1" and "space_travel" in str(err) and "lifelong_learning" in str(err)


def test_workshop_input_needs_a_workshop_that_was_not_cancelled():
    assert _broken(domain.check_workshop, "company_visit", "held").field == "gathering_id"
    assert _broken(domain.check_workshop, "workshop", "cancelled").conflict
    domain.check_workshop("workshop", "scheduled")
    domain.check_workshop("workshop", "held")


def test_a_speaker_is_a_member_or_an_external_speaker_not_both():
    assert _broken(domain.check_speaker, 2, "p1", True).field == "agenda.2.external_speaker"
    domain.check_speaker(0, "p1", False)
    domain.check_speaker(0, None, True)


def test_an_audience_must_name_someone_and_only_known_groups():
    assert _broken(domain.check_audience, AudienceRule(), set(), {"inclusion"}).field == "audience"
    err = _broken(domain.check_audience, AudienceRule(group_ids=("g1", "ghost")), {"g1"}, {"inclusion"})
    assert err.field == "audience.group_ids.1" and "ghost" in str(err)
    assert _broken(domain.check_audience, AudienceRule(focus_areas=("mars",)), set(), {"inclusion"}).field == \
        "audience.focus_areas.0"
    domain.check_audience(AudienceRule(sectors=("business",)), set(), {"inclusion"})


# --- the feed ------------------------------------------------------------------------------------

def _gathering(id_: str, days: int, **kw) -> GatheringFacts:
    return GatheringFacts(id=id_, kind=kw.pop("kind", "workshop"), state=kw.pop("state", "scheduled"),
                          starts_at=NOW + timedelta(days=days), **kw)


def _communication(id_: str, days: int, **audience) -> CommunicationFacts:
    return CommunicationFacts(id=id_, published_at=NOW + timedelta(days=days), audience=AudienceRule(**audience))


def test_communications_match_by_group_sector_role_focus_area_or_everyone_with_every_reason():
    assert domain.communication_reasons(KARI, AudienceRule(everyone=True)) == ["everyone"]
    assert domain.communication_reasons(KARI, AudienceRule(group_ids=("g-other", "g-incl"))) == ["group:g-incl"]
    assert domain.communication_reasons(KARI, AudienceRule(sectors=("municipality", "county"))) == ["sector:municipality"]
    assert domain.communication_reasons(KARI, AudienceRule(role_kinds=("leader",))) == ["role_kind:leader"]
    assert domain.communication_reasons(KARI, AudienceRule(focus_areas=("inclusion",))) == ["focus_area:inclusion"]
    assert domain.communication_reasons(KARI, AudienceRule(sectors=("business",), role_kinds=("employee",),
                                                           group_ids=("g-other",), focus_areas=("lifelong_learning",))) == []
    everything = AudienceRule(group_ids=("g-steer",), sectors=("municipality",), role_kinds=("leader",),
                              focus_areas=("inclusion",))
    assert domain.communication_reasons(KARI, everything) == ["group:g-steer", "sector:municipality", "role_kind:leader",
                                                              "focus_area:inclusion"]


def test_gatherings_match_by_hosting_group_focus_area_speaker_or_being_a_common_gathering():
    assert domain.gathering_reasons(KARI, _gathering("a", 1, hosting_group_id="g-incl")) == ["group:g-incl"]
    assert domain.gathering_reasons(KARI, _gathering("b", 1, focus_areas=("inclusion", "lifelong_learning"))) == \
        ["focus_area:inclusion"]
    assert domain.gathering_reasons(KARI, _gathering("c", 1, kind="common_gathering")) == ["everyone"]
    assert domain.gathering_reasons(KARI, _gathering("d", 1, speaker_person_ids=("kari",))) == ["speaker"]
    assert domain.gathering_reasons(KARI, _gathering("e", 1, hosting_group_id="g-other",
                                                     focus_areas=("lifelong_learning",))) == []
    outsider = Profile("ola", "business", "employee")
    assert domain.gathering_reasons(outsider, _gathering("c", 1, kind="common_gathering")) == []


def test_the_feed_holds_upcoming_gatherings_and_recent_communications_newest_first():
    gatherings = [_gathering("soon", 3, hosting_group_id="g-incl"),
                  _gathering("later", 30, kind="common_gathering"),
                  _gathering("past", -3, hosting_group_id="g-incl"),
                  _gathering("cancelled", 5, hosting_group_id="g-incl", state="cancelled"),
                  _gathering("not-for-kari", 4, hosting_group_id="g-other")]
    communications = [_communication("news", -1, everyone=True), _communication("old", -200, everyone=True),
                      _communication("future", 2, everyone=True), _communication("ours", -10, group_ids=("g-incl",)),
                      _communication("theirs", -2, sectors=("business",))]
    feed = domain.build_feed(KARI, gatherings, communications, NOW, days=90)
    assert [(i.type, i.id) for i in feed] == [("gathering", "later"), ("gathering", "soon"),
                                              ("communication", "news"), ("communication", "ours")]
    assert dict((i.id, i.matched_because) for i in feed)["ours"] == ("group:g-incl",)
    # Looking from an earlier moment, the past gathering is upcoming again and the news not yet out.
    earlier = domain.build_feed(KARI, gatherings, communications, NOW - timedelta(days=5), days=90)
    assert "past" in [i.id for i in earlier] and "news" not in [i.id for i in earlier]


def test_is_recent_is_a_closed_window_ending_at_as_of():
    assert domain.is_recent(NOW, NOW, 1) and domain.is_recent(NOW - timedelta(days=1), NOW, 1)
    assert not domain.is_recent(NOW - timedelta(days=1, seconds=1), NOW, 1)
    assert not domain.is_upcoming("scheduled", NOW, NOW) and domain.is_upcoming("scheduled", NOW + timedelta(seconds=1), NOW)
