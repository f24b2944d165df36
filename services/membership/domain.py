"""Pure membership rules: organisation numbers, who may join or leave, mandates. No I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from kf.contracts.membership import GroupKind

_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)
# ASCII digits only: str.isdigit() also takes Arabic-Indic, fullwidth and superscript digits, so one number could be
# registered once per script (and a superscript digit failed in int() with Python's own message).
_NINE_DIGITS = re.compile(r"[0-9]{9}")


class RuleBroken(ValueError):
    """A membership rule refused the change; `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.conflict = conflict


def org_number_is_valid(number: str) -> bool:
    """Brønnøysund MOD11: weights 3,2,7,6,5,4,3,2; check digit 11 - sum mod 11 (11 -> 0, 10 -> invalid)."""
    if not _NINE_DIGITS.fullmatch(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:8], _WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(number[8])


def normalise_org_number(raw: str) -> str:
    """Accept `974 760 673` or `974760673`; refuse anything that is not a valid number."""
    number = raw.replace(" ", "")
    if not org_number_is_valid(number):
        if not _NINE_DIGITS.fullmatch(number):
            raise ValueError("must be 9 digits (a Norwegian organisation number)")
        raise ValueError(f"{number} has a wrong MOD11 check digit")
    return number


def check_group_focus_area(kind: GroupKind, focus_area: str | None, known: set[str]) -> None:
    if focus_area is None:
        return
    if kind != GroupKind.competence:
        raise RuleBroken("only competence groups are tied to a focus area", "focus_area")
    if focus_area not in known:
        raise RuleBroken(f"unknown focus area {focus_area!r}; this region has {sorted(known)}", "focus_area")


def check_can_join(already_active: bool, person_erased: bool, joined_on: date, today: date,
                   ended: Iterable[tuple[date, date]] = ()) -> None:
    """`ended` holds the (joined_on, left_on) spans of the person's earlier memberships of the group. A membership
    is active from joined_on until the day before left_on, so a re-join may start on the day the last one ended,
    not before: otherwise the person would count twice for the days both spans cover."""
    if person_erased:
        raise RuleBroken("this person has been erased and cannot join a group", "person_id")
    if already_active:
        raise RuleBroken("the person is already an active member of this group", "person_id", conflict=True)
    if joined_on > today:
        raise RuleBroken("joined_on cannot be in the future", "joined_on")
    for began, ended_on in ended:
        if began < ended_on and joined_on < ended_on:
            raise RuleBroken(f"joined_on {joined_on.isoformat()} overlaps the person's earlier membership of this "
                             f"group ({began.isoformat()} to {ended_on.isoformat()}); a re-join must be on or after "
                             f"{ended_on.isoformat()}", "joined_on", conflict=True)


def check_can_leave(left_already: date | None, joined_on: date, left_on: date, today: date) -> None:
    """A future left_on would free the person to re-join at once while the metrics still count the old membership
    active until that date: two active memberships of one person in one group."""
    if left_already is not None:
        raise RuleBroken(f"the person is not in this group: the membership ended on {left_already.isoformat()}",
                         "membership_id", conflict=True)
    if left_on < joined_on:
        raise RuleBroken(f"left_on {left_on.isoformat()} is before joined_on {joined_on.isoformat()}", "left_on")
    if left_on > today:
        raise RuleBroken("left_on cannot be in the future", "left_on")


def check_can_confirm_mandate(left_on: date | None, confirmed_already: date | None, confirmed_on: date,
                              today: date) -> None:
    if left_on is not None:
        raise RuleBroken("the membership has ended; a mandate can only be confirmed for an active member",
                         "membership_id", conflict=True)
    if confirmed_already is not None:
        raise RuleBroken(f"the mandate was already confirmed on {confirmed_already.isoformat()}",
                         "membership_id", conflict=True)
    if confirmed_on > today:
        raise RuleBroken("confirmed_on cannot be in the future", "confirmed_on")
