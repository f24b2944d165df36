"""The KPI catalogue, defined once: each KPI is data (id, name, unit, description, formula in words)
plus a small pure function over `Quantities` (the counts read from the fact tables as of a date)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import median

from kf.regiondata import Region


@dataclass
class Quantities:
    """What the fact tables say as of one date, for one region and optionally one focus area."""

    members: int = 0
    organisations: int = 0
    sector_members: dict[str, int] = field(default_factory=dict)
    mandated: int = 0
    leaders: int = 0
    active_attenders: int = 0
    gatherings_held: int = 0
    attendances: int = 0
    cross_sector_ties: int = 0
    active_ties: int = 0
    communications: int = 0
    reach: int = 0
    proposed: int = 0
    adopted: int = 0
    rejected: int = 0
    anchored: int = 0
    completed: int = 0
    decision_days: list[int] = field(default_factory=list)
    effects: dict[str, float] = field(default_factory=dict)
    expectations: int = 0
    expectations_reached: int = 0


@dataclass(frozen=True)
class Kpi:
    id: str
    name: str
    unit: str
    description: str
    formula: str
    compute: Callable[[Quantities], float | None]
    per_focus_area: bool = True
    group: str = ""

    @property
    def needs(self) -> str:
        """Which part of the facts the formula reads (so a single KPI's series reads only that part)."""
        return NEEDS.get(self.id, "effects" if self.id.startswith("effect") else "members")


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None (no value) when the whole is zero."""
    return part / whole if whole else None


def shannon_evenness(counts: list[int]) -> float | None:
    """Pielou's evenness H / ln(S) of the positive counts; 0 for one category, None for none."""
    counts = sorted(c for c in counts if c > 0)  # in one order: the same counts read in another give the same float
    if not counts:
        return None
    if len(counts) == 1:
        return 0.0
    total = sum(counts)
    h = -math.fsum(c / total * math.log(c / total) for c in counts)
    return h / math.log(len(counts))


def density(ties: int, nodes: int) -> float | None:
    """ties / (n(n−1)/2), None below two nodes."""
    return ratio(ties, nodes * (nodes - 1) / 2) if nodes >= 2 else None


def median_or_none(values: list[int]) -> float | None:
    return float(median(values)) if values else None


NEEDS = {"gatherings_held": "gatherings", "attendances": "gatherings", "members_active_share": "participation",
         "cross_sector_ties": "ties", "network_density": "ties", "communications_published": "communications",
         "communication_reach": "communications", **{k: "measures" for k in (
             "measures_proposed", "measures_adopted", "measures_rejected", "measures_anchored", "measures_completed",
             "adoption_rate", "median_days_to_decision")}}
PARTS = ("members", "participation", "gatherings", "ties", "communications", "measures", "effects")

_M, _R, _I, _X, _E = "membership", "relationships and participation", "information flow", "measures", "concrete effects"

BASE: tuple[Kpi, ...] = (
    Kpi("members", "Members", "members", "Active memberships in the forum's groups.",
        "count of memberships with joined_on ≤ as-of and no left_on ≤ as-of (per focus area: in groups of that area)",
        lambda q: q.members, group=_M),
    Kpi("organisations", "Organisations taking part", "organisations", "Organisations with at least one active member.",
        "count of distinct organisations of the active memberships", lambda q: q.organisations, group=_M),
    Kpi("sectors_represented", "Sectors represented", "sectors",
        "Distinct sectors among the organisations with an active member.",
        "count of distinct sectors of the organisations with an active member (each organisation's registered "
        "sector as of the date; the sector recorded at joining for an organisation not registered)", lambda q: len([c for c in q.sector_members.values() if c]),
        group=_M),
    Kpi("sector_diversity", "Sector diversity", "0–1",
        "How evenly active members spread over the sectors present (Shannon evenness).",
        "H / ln(S), H = −Σ pᵢ ln pᵢ over the S sectors present, pᵢ = the sector's share of active members; "
        "0 with one sector, no value without members", lambda q: shannon_evenness(list(q.sector_members.values())),
        group=_M),
    Kpi("mandate_share", "Members with a mandate", "share",
        "Share of active members whose own organisation confirmed their mandate (forankring).",
        "active members with a mandate confirmed on or before as-of / active members", lambda q: ratio(q.mandated, q.members),
        group=_M),
    Kpi("decision_maker_share", "Decision-makers among members", "share",
        "Share of active members whose role in their own organisation is leader or decision-maker.",
        "active members with role kind `leader` as of the date / active members", lambda q: ratio(q.leaders, q.members), group=_M),
    Kpi("gatherings_held", "Gatherings held", "gatherings", "Gatherings (common gatherings, workshops, company visits…) held.",
        "count of gatherings with held_on ≤ as-of (per focus area: tagged with it)", lambda q: q.gatherings_held, group=_R),
    Kpi("attendances", "Attendances", "attendances", "People present at held gatherings, counted per gathering.",
        "count of (gathering, person) pairs of gatherings held on or before as-of", lambda q: q.attendances, group=_R),
    Kpi("cross_sector_ties", "Cross-sector ties", "pairs",
        "Pairs of organisations of different sectors that met at a held gathering or co-own a measure.",
        "count of distinct unordered organisation pairs {a, b}, sector(a) ≠ sector(b), that had people at the same "
        "gathering held on or before as-of (sectors as recorded for the attendees), or are owner/partners of the same "
        "measure (partners from the proposal date, the owner from the date it accepted ownership; such a pair counts "
        "from the first date on or after that on which their registered sectors differ)", lambda q: q.cross_sector_ties, group=_R),
    Kpi("network_density", "Network density", "0–1",
        "How many of the possible relationships among the organisations taking part exist.",
        "tied pairs among organisations with an active member / (n(n−1)/2), n = those organisations",
        lambda q: density(q.active_ties, q.organisations), group=_R),
    Kpi("members_active_share", "Members who took part", "share",
        "Share of active members who attended a held gathering in the 365 days before the as-of date.",
        "active members whose person attended a gathering held in (as-of − 365 days, as-of] / active members",
        lambda q: ratio(q.active_attenders, q.members), group=_R),
    Kpi("communications_published", "Communications published", "communications",
        "Newsletters, articles and posts published.", "count of communications published on or before as-of",
        lambda q: q.communications, group=_I),
    Kpi("communication_reach", "Communication reach", "people",
        "People reached by the communications published.",
        "Σ over communications published on or before as-of of the latest reported recipients (else views, else 0)",
        lambda q: q.reach, group=_I),
    Kpi("measures_proposed", "Measures proposed", "measures", "Measures (tiltak) proposed by the groups.",
        "count of measures with proposed_on ≤ as-of", lambda q: q.proposed, group=_X),
    Kpi("measures_adopted", "Measures adopted", "measures", "Measures the deciding body adopted.",
        "count of measures with an adoption decided_on ≤ as-of", lambda q: q.adopted, group=_X),
    Kpi("measures_rejected", "Measures rejected", "measures", "Measures the deciding body rejected.",
        "count of measures with a rejection decided_on ≤ as-of", lambda q: q.rejected, group=_X),
    Kpi("measures_anchored", "Measures anchored", "measures",
        "Measures a responsible organisation took on with a mandate (ownership accepted).",
        "count of measures with ownership accepted_on ≤ as-of", lambda q: q.anchored, group=_X),
    Kpi("measures_completed", "Measures completed", "measures", "Measures carried out to the end.",
        "count of measures with completed_on ≤ as-of", lambda q: q.completed, group=_X),
    Kpi("adoption_rate", "Adoption rate", "share", "Share of decided measures that were adopted.",
        "measures adopted / (adopted + rejected), decisions on or before as-of", lambda q: ratio(q.adopted, q.adopted + q.rejected),
        group=_X),
    Kpi("median_days_to_decision", "Median days to decision", "days",
        "Typical time from proposal to decision.", "median of (decided_on − proposed_on) in days over measures decided on or before as-of",
        lambda q: median_or_none(q.decision_days), group=_X),
    Kpi("effect_target_attainment", "Expected effects reached", "share",
        "Share of expected effects whose reported total has reached its target.",
        "expected effects (baseline_date ≤ as-of) whose measure's reported total for the indicator (as in effect.INDICATOR) "
        "is ≥ the target (≤ for a target below the baseline; with nothing reported it is not reached) / expected effects",
        lambda q: ratio(q.expectations_reached, q.expectations), group=_E),
)


def _effect_kpi(indicator_id: str, name: str, unit: str) -> Kpi:
    return Kpi(f"effect.{indicator_id}", name, unit, f"Reported concrete effect: {name.lower()}.",
               "Σ of the values of effect reports for this indicator with period_end ≤ as-of, leaving out every report "
               "superseded by a correction with period_end ≤ as-of", lambda q: q.effects.get(indicator_id, 0.0), group=_E)


def catalogue(region: Region) -> list[Kpi]:
    """Every KPI of a region: the fixed ones and one `effect.INDICATOR` per indicator of the region's data."""
    effects = [_effect_kpi(i.id, i.name_en, i.unit) for i in region.indicators]
    return [*BASE[:-1], *effects, BASE[-1]]


def kpi_ids(region: Region) -> set[str]:
    return {k.id for k in catalogue(region)}
