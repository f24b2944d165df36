"""Pure membership rules."""

from datetime import date

import pytest

from kf.contracts.membership import GroupKind
from services.membership import domain


@pytest.mark.parametrize("number", ["974760673", "971526920", "923609016", "889640782", "991012133"])
def test_real_organisation_numbers_pass_the_mod11_check(number):
    assert domain.org_number_is_valid(number)


@pytest.mark.parametrize("number", ["974760674", "97476067", "9747606730", "97476067a", ""])
def test_wrong_check_digits_and_lengths_are_refused(number):
    assert not domain.org_number_is_valid(number)


def test_a_check_digit_of_ten_is_never_valid():
    # 00000001 gives weighted sum 2 -> 11 - 2 = 9; find a base whose check would be 10 and prove no digit fits.
    base = next(f"{n:08d}" for n in range(1, 10_000)
                if 11 - sum(int(d) * w for d, w in zip(f"{n:08d}", (3, 2, 7, 6, 5, 4, 3, 2))) % 11 == 10)
    assert not any(domain.org_number_is_valid(base + str(d)) for d in range(10))


def test_org_numbers_are_normalised_and_errors_say_what_was_expected():
    assert domain.normalise_org_number("974 760 673") == "974760673"
    with pytest.raises(ValueError, match="9 digits"):
        domain.normalise_org_number("12345")
    with pytest.raises(ValueError, match="check digit"):
        domain.normalise_org_number("974760674")


@pytest.mark.parametrize("number", ["\u0669\u0667\u0664\u0667\u0666\u0660\u0666\u0667\u0663",  # Arabic-Indic 974760673
                                    "\uff19\uff17\uff14\uff17\uff16\uff10\uff16\uff17\uff13",  # fullwidth 974760673
                                    "97476067\u00b3", "\u00b2" * 9])  # superscript digits (not decimal: int() fails)
def test_only_ascii_digits_make_an_organisation_number(number):
    # str.isdigit() takes them all: one number registered once per script, or a raw int() error for superscripts.
    assert not domain.org_number_is_valid(number)
    with pytest.raises(ValueError, match=r"^must be 9 digits \(a Norwegian organisation number\)$"):
        domain.normalise_org_number(number)


def test_only_competence_groups_take_a_known_focus_area():
    known = {"inclusion", "lifelong_learning"}
    domain.check_group_focus_area(GroupKind.competence, "inclusion", known)
    domain.check_group_focus_area(GroupKind.steering, None, known)
    with pytest.raises(domain.RuleBroken, match="unknown focus area"):
        domain.check_group_focus_area(GroupKind.competence, "mars", known)
    with pytest.raises(domain.RuleBroken, match="only competence groups"):
        domain.check_group_focus_area(GroupKind.steering, "inclusion", known)


def test_joining_twice_or_in_the_future_is_refused():
    today = date(2021, 3, 1)
    domain.check_can_join(False, False, date(2021, 2, 1), today)
    with pytest.raises(domain.RuleBroken) as twice:
        domain.check_can_join(True, False, date(2021, 2, 1), today)
    assert twice.value.conflict and twice.value.field == "person_id"
    with pytest.raises(domain.RuleBroken, match="future"):
        domain.check_can_join(False, False, date(2021, 4, 1), today)
    with pytest.raises(domain.RuleBroken, match="erased"):
        domain.check_can_join(False, True, date(2021, 2, 1), today)


def test_a_rejoin_may_start_when_the_earlier_membership_ended_not_inside_it():
    today = date(2022, 1, 1)
    earlier = [(date(2020, 1, 1), date(2021, 1, 1))]
    domain.check_can_join(False, False, date(2021, 1, 1), today, earlier)  # left and re-joined the same day
    domain.check_can_join(False, False, date(2021, 6, 1), today, earlier)
    domain.check_can_join(False, False, date(2019, 6, 1), today, [(date(2020, 1, 1), date(2020, 1, 1))])  # never active
    for joined_on in (date(2020, 6, 1), date(2020, 1, 1), date(2019, 6, 1)):  # inside it, or open and spanning it
        with pytest.raises(domain.RuleBroken, match=r"overlaps .* \(2020-01-01 to 2021-01-01\)") as overlap:
            domain.check_can_join(False, False, joined_on, today, earlier)
        assert overlap.value.field == "joined_on" and overlap.value.conflict
        assert "on or after 2021-01-01" in str(overlap.value)


def test_leaving_needs_an_active_membership_and_a_date_after_joining():
    today = date(2021, 1, 1)
    domain.check_can_leave(None, date(2020, 1, 1), date(2020, 6, 1), today)
    domain.check_can_leave(None, date(2020, 1, 1), today, today)
    with pytest.raises(domain.RuleBroken, match="ended on 2020-03-01") as ended:
        domain.check_can_leave(date(2020, 3, 1), date(2020, 1, 1), date(2020, 6, 1), today)
    assert ended.value.conflict
    with pytest.raises(domain.RuleBroken, match="before joined_on"):
        domain.check_can_leave(None, date(2020, 1, 1), date(2019, 6, 1), today)


def test_leaving_in_the_future_is_refused():
    with pytest.raises(domain.RuleBroken, match="left_on cannot be in the future") as future:
        domain.check_can_leave(None, date(2020, 1, 1), date(2021, 1, 2), date(2021, 1, 1))
    assert future.value.field == "left_on" and not future.value.conflict


def test_a_mandate_is_confirmed_once_for_an_active_member():
    today = date(2021, 1, 1)
    domain.check_can_confirm_mandate(None, None, date(2020, 5, 1), today)
    with pytest.raises(domain.RuleBroken, match="already confirmed"):
        domain.check_can_confirm_mandate(None, date(2020, 5, 1), date(2020, 6, 1), today)
    with pytest.raises(domain.RuleBroken, match="ended"):
        domain.check_can_confirm_mandate(date(2020, 7, 1), None, date(2020, 6, 1), today)
