"""A fetched batch of events written set-based: handlers state versioned merges, gatherings and changed measures;
`flush` writes them with one statement per table and group of fields, not one per event.

Within a batch only the newest version of each (row, group of fields) is kept; the upsert's version guard then
decides against the stored row, so a batch gives the same rows as applying its events one by one, in any order.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Table, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from services.metrics import pairs
from services.metrics.refresh import Touched, measure_contributions, refresh
from services.metrics.bulk import executemany
from services.metrics import store as t

CHUNK = 500  # ids per IN list


class Batch:
    """`derive=False` writes only the facts (and attendance); `derive.derive_all` computes the rest later."""

    def __init__(self, *, derive: bool = True) -> None:
        self.derive = derive
        # (table, group, key) -> (version, table, key, values)
        self._merges: dict[tuple, tuple[str, Table, dict, dict]] = {}
        # (region, gathering_id) -> (version, values, attendees)
        self._gatherings: dict[tuple[str, str], tuple[str, dict, list[dict]]] = {}
        self._measures: set[tuple[str, str]] = set()

    def merge(self, table: Table, key: dict, values: dict, *, group: str, ver: str) -> None:
        """Set `values` (one group of fields) on the row `key` unless the row holds a newer version of the group."""
        k = (table.name, group, tuple(key.values()))
        current = self._merges.get(k)
        if current is None or current[0] < ver:
            self._merges[k] = (ver, table, key, values)

    def gathering(self, key: dict, ver: str, values: dict, attendees: list[dict]) -> None:
        """A gathering as held: its row, and (when this is its newest report) its attendance and ties."""
        self.merge(t.gatherings, key, values, group="held", ver=ver)
        k = (key["region"], key["gathering_id"])
        current = self._gatherings.get(k)
        if current is None or current[0] < ver:
            self._gatherings[k] = (ver, values, attendees)

    def measure_changed(self, region: str, measure_id: str) -> None:
        """A measure whose partners, owner or dates may have changed: its ties are recomputed from its row."""
        self._measures.add((region, measure_id))

    def flush(self, s: Session) -> None:
        winners = self._newest_gatherings(s) if self._gatherings else {}
        pointed = self._pointed_to_before(s) if self.derive else Touched()
        measures_before = measure_contributions(s, {ident for (name, _, ident) in self._merges
                                                    if name == t.measures.name}) if self.derive else {}
        dialect = s.get_bind().dialect.name
        by_statement: dict[tuple, list[dict]] = defaultdict(list)
        for (_, group, _), (ver, table, key, values) in self._merges.items():
            by_statement[(table, group, tuple(key), tuple(values))].append({**key, **values, f"{group}_v": ver})
        for (table, group, keys, columns), rows in by_statement.items():
            executemany(s, _merge_statement(dialect, table, group, keys, columns), rows)
        if not self.derive:
            if winners:
                pairs.replace_attendance(s, winners)
            return
        touched = pointed
        touched.gatherings = winners
        if winners:
            touched.people = pairs.gatherings_replaced(s, winners)
        if self._measures:
            pairs.measures_changed(s, sorted(self._measures))
        orgs: dict[str, set[str]] = defaultdict(set)  # a changed sector changes whether a measure tie crosses sectors
        for (name, _, ident) in self._merges:
            if name == t.organisations.name:
                orgs[ident[0]].add(ident[1])
        for region, ids in orgs.items():
            pairs.recompute_firsts(s, region, orgs=sorted(ids))
        for (_, _, _), (_, table, key, values) in self._merges.items():
            region, ident = key["region"], key[next(k for k in key if k != "region")]
            touched.rows[table.name].add((region, ident))
            if table is t.reports or table is t.expectations:
                touched.effect_measures.add((region, values["measure_id"]))
                if values.get("supersedes_report_id"):
                    touched.superseded.add((region, values["supersedes_report_id"]))
        refresh(s, touched, measures_before)

    def _pointed_to_before(self, s: Session) -> Touched:
        """The entities that the stored rows this batch rewrites count towards (a report's measure and the report it
        supersedes, an expected effect's measure, a membership's organisation): a row re-stated with another reference
        must leave the old one's counters too."""
        keys: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # table -> region -> ids
        for (name, _, ident), (_, _, _, values) in self._merges.items():
            if name in _REFERENCES and any(c in values for c in _REFERENCES[name][1]):
                keys[name][ident[0]].add(ident[1])
        touched = Touched()
        for name, by_region in keys.items():
            id_column, columns = _REFERENCES[name]
            table = t.metadata.tables[name]
            for region, ids in by_region.items():
                ids = sorted(ids)
                for i in range(0, len(ids), CHUNK):
                    query = select(*(table.c[c] for c in columns)).where(
                        table.c.region == region, table.c[id_column].in_(ids[i:i + CHUNK]))
                    for row in s.execute(query):
                        for column, value in zip(columns, row, strict=True):
                            if value is not None:
                                getattr(touched, _TOUCHES[column]).add((region, value))
        return touched

    def _newest_gatherings(self, s: Session) -> dict[tuple[str, str], pairs.Replaced]:
        """The batch's gatherings that are newer than the stored report (with the stored one, when there is one)."""
        g = t.gatherings
        stored: dict[tuple[str, str], tuple] = {}
        by_region: dict[str, list[str]] = defaultdict(list)
        for region, gathering_id in self._gatherings:
            by_region[region].append(gathering_id)
        for region, ids in by_region.items():
            for i in range(0, len(ids), CHUNK):
                for row in s.execute(_STORED_GATHERINGS, {"region": region, "ids": ids[i:i + CHUNK]}):
                    stored[(region, row.gathering_id)] = row
        out = {}
        for k, (ver, values, attendees) in self._gatherings.items():
            old = stored.get(k)
            if old is None or old.held_v is None or old.held_v < ver:
                out[k] = pairs.Replaced(held_on=values["held_on"], focus_areas=values["focus_areas"], attendees=attendees,
                                        old_held_on=old.held_on if old is not None else None,
                                        old_focus_areas=old.focus_areas if old is not None else None)
        return out


_g = t.gatherings
_STORED_GATHERINGS = select(_g.c.gathering_id, _g.c.held_v, _g.c.held_on, _g.c.focus_areas).where(
    _g.c.region == bindparam("region"), _g.c.gathering_id.in_(bindparam("ids", expanding=True)))

# Fact tables whose rows count towards another entity: table -> (id column, columns naming that entity).
_REFERENCES = {t.reports.name: ("report_id", ("measure_id", "supersedes_report_id")),
               t.expectations.name: ("expectation_id", ("measure_id",)),
               t.memberships.name: ("membership_id", ("organisation_id",))}
_TOUCHES = {"measure_id": "effect_measures", "supersedes_report_id": "superseded", "organisation_id": "organisations"}

_STATEMENTS: dict[tuple, object] = {}


def _merge_statement(dialect: str, table: Table, group: str, keys: tuple[str, ...], columns: tuple[str, ...]):
    cache_key = (dialect, table.name, group, keys, columns)
    stmt = _STATEMENTS.get(cache_key)
    if stmt is None:
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        version = table.c[f"{group}_v"]
        stmt = _STATEMENTS[cache_key] = ins.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key.columns],
            set_={c: ins.excluded[c] for c in (*columns, f"{group}_v")},
            where=or_(version.is_(None), version < ins.excluded[f"{group}_v"]))
    return stmt
