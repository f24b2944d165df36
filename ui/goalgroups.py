"""Goals grouped by focus area, so that no goal the metrics service returns is left out of a page.

The region's configured focus areas come first, in their order, then goals for the whole forum, then one group for
each focus area a goal is set on that the region's configuration no longer has (removed or renamed while the goal
still exists). When the configured areas could not be read, the areas the goals name are grouped by id without
claiming anything about the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GoalGroup:
    area_id: str | None  # None: goals for the whole forum
    name: str
    goals: list[dict] = field(default_factory=list)
    configured: bool = True  # False: the area is not among the region's configured focus areas


def unconfigured_areas(goals: list[dict], areas: list[dict] | None) -> list[str]:
    """The focus areas goals are set on that the region's configuration does not have (none when it is unknown)."""
    if areas is None:
        return []
    known = {a["id"] for a in areas}
    return sorted({g["focus_area"] for g in goals if g.get("focus_area") and g["focus_area"] not in known})


def group_goals(goals: list[dict], areas: list[dict] | None, whole_forum: str) -> list[GoalGroup]:
    """Every goal in exactly one group: each configured area (also without goals), the whole forum (when a goal has
    no focus area), and each area outside the configuration, headed by its id."""
    def mine(area_id: str | None) -> list[dict]:
        return [g for g in goals if (g.get("focus_area") or None) == area_id]

    if areas is None:
        named = sorted({g["focus_area"] for g in goals if g.get("focus_area")})
        groups = [GoalGroup(a, a, mine(a)) for a in named]
    else:
        groups = [GoalGroup(a["id"], a["name"], mine(a["id"])) for a in areas]
    if any(not g.get("focus_area") for g in goals):
        groups.append(GoalGroup(None, whole_forum, mine(None)))
    groups += [GoalGroup(a, a, mine(a), configured=False) for a in unconfigured_areas(goals, areas)]
    return groups
