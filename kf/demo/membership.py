"""Demo membership: Østfold's kinds of organisations, the steering and coordination groups,
and 35 members in three competence groups (from the forum's 2021 presentation)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from kf.demo.client import DemoClient, DemoContext

_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)

# key, name, sector, municipality
ORGANISATIONS = [
    ("viken", "Viken fylkeskommune", "county", "Sarpsborg"),
    ("karrieresenter", "Karrieresenter Østfold", "county", "Fredrikstad"),
    ("fredrikstad", "Fredrikstad kommune", "municipality", "Fredrikstad"),
    ("sarpsborg", "Sarpsborg kommune", "municipality", "Sarpsborg"),
    ("halden", "Halden kommune", "municipality", "Halden"),
    ("moss", "Moss kommune", "municipality", "Moss"),
    ("indre", "Indre Østfold kommune", "municipality", "Indre Østfold"),
    ("nav", "NAV Øst-Viken", "state_agency", "Sarpsborg"),
    ("statsforvalteren", "Statsforvalteren i Oslo og Viken", "state_agency", "Moss"),
    ("hiof", "Høgskolen i Østfold", "university_college", "Halden"),
    ("fagskolen", "Fagskolen i Viken", "vocational_college", "Fredrikstad"),
    ("nho", "NHO Viken Oslo", "employer_organisation", "Fredrikstad"),
    ("ks", "KS Viken", "employer_organisation", "Sarpsborg"),
    ("virke", "Virke Øst", "employer_organisation", "Fredrikstad"),
    ("lo", "LO i Viken", "union", "Sarpsborg"),
    ("fellesforbundet", "Fellesforbundet avdeling Østfold", "union", "Fredrikstad"),
    ("borregaard", "Borregaard AS", "business", "Sarpsborg"),
    ("nexans", "Nexans Norway AS, Halden", "business", "Halden"),
    ("fredrikstad_energi", "Fredrikstad Energi AS", "business", "Fredrikstad"),
    ("rygge_industri", "Rygge Industripark AS", "business", "Moss"),
    ("rodekors", "Røde Kors Østfold", "voluntary", "Fredrikstad"),
    ("frivillig", "Frivilligsentralen i Sarpsborg", "voluntary", "Sarpsborg"),
    ("bymisjon", "Kirkens Bymisjon Østfold", "voluntary", "Fredrikstad"),
]

FIRST = ["Arnhild", "Kari", "Ola", "Ingrid", "Lars", "Marit", "Per", "Solveig", "Knut", "Hilde", "Jon", "Siri",
         "Bjørn", "Tone", "Erik", "Anne", "Geir", "Liv", "Terje", "Randi", "Øyvind", "Hanne", "Trond", "Berit",
         "Morten", "Eli", "Stian", "Nina", "Rune", "Camilla", "Espen", "Mona", "Håkon", "Line", "Amir", "Fatima",
         "Jonas", "Sara", "Kjetil", "Heidi", "Arne", "Gro", "Magnus", "Ida"]
LAST = ["Danielsen", "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
        "Jensen", "Karlsen", "Berg", "Haugen", "Hagen", "Eriksen", "Bakken", "Halvorsen", "Lund", "Strand",
        "Solberg", "Moen", "Dahl", "Sæther", "Aas", "Hussain", "Ali", "Bråthen", "Holm", "Lie", "Ødegaard"]


def org_number(seed: int) -> str:
    """A valid-looking organisation number (MOD11 check digit) from a seed; demo data only."""
    n = 910_000_00 + seed * 7919
    while True:
        digits = f"{n:08d}"[-8:]
        check = 11 - sum(int(d) * w for d, w in zip(digits, _WEIGHTS)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return digits + str(check)
        n += 1


def seed(client: DemoClient, ctx: DemoContext) -> None:
    rng = random.Random(2021)
    focus = [f["id"] for f in client.get("membership", "/focus-areas")]
    for i, (key, name, sector, municipality) in enumerate(ORGANISATIONS):
        ctx.organisations[key] = client.post("membership", "/organisations", {
            "name": name, "org_number": org_number(i + 1), "sector": sector, "municipality": municipality})
    ctx.counts["organisations"] = len(ORGANISATIONS)

    groups = [("steering", "Styringsgruppen", "steering", None), ("coordination", "Koordineringsteamet", "coordination", None)]
    names_nb = {f["id"]: f["name_nb"] for f in client.get("membership", "/focus-areas")}
    groups += [(f"competence:{f}", f"Kompetansegruppe {names_nb[f].lower()}", "competence", f) for f in focus]
    for key, name, kind, area in groups:
        ctx.groups[key] = client.post("membership", "/groups", {"name": name, "kind": kind, "focus_area": area})
    ctx.counts["groups"] = len(groups)

    used: set[str] = set()

    def new_person(org_key: str, role_kind: str, title: str) -> dict:
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}@demo.kompetanseforum.no".lower().replace("ø", "o").replace("å", "a").replace("æ", "ae")
            if email not in used:
                used.add(email)
                break
        person = client.post("membership", "/people", {"name": f"{first} {last}", "email": email,
                                                       "organisation_id": ctx.organisations[org_key]["id"],
                                                       "role_kind": role_kind, "title": title})
        ctx.people[email] = person
        return person

    def join(person: dict, group_key: str, role: str, joined: date, mandate: bool) -> None:
        m = client.post("membership", "/memberships", {"person_id": person["id"], "group_id": ctx.groups[group_key]["id"],
                                                       "role": role, "joined_on": joined.isoformat()})
        if mandate:
            m = client.post("membership", f"/memberships/{m['id']}/mandate",
                            {"confirmed_on": (joined + timedelta(days=rng.randint(7, 90))).isoformat()})
        ctx.memberships.append(m)

    start = date(2019, 3, 1)
    steering = ["viken", "nav", "nho", "ks", "lo", "hiof", "statsforvalteren", "virke"]
    for org in steering:
        join(new_person(org, "leader", "Direktør" if org != "lo" else "Leder"), "steering", "leader" if org == "viken" else "member",
             start + timedelta(days=rng.randint(0, 60)), mandate=True)
    competence_keys = [k for k in ctx.groups if k.startswith("competence:")]
    leaders = {competence_keys[0]: "viken", competence_keys[1]: "ks", competence_keys[2]: "nav"} if len(competence_keys) == 3 else {}
    members_per_group = [12, 12, 11]  # 35 participants in 3 groups
    org_keys = [o[0] for o in ORGANISATIONS]
    coordination_people = []
    for group_key, count in zip(competence_keys, members_per_group):
        lead = new_person(leaders.get(group_key, "viken"), "employee", "Rådgiver")
        join(lead, group_key, "leader", start + timedelta(days=rng.randint(30, 120)), mandate=True)
        coordination_people.append(lead)
        for _ in range(count - 1):
            org = rng.choice(org_keys)
            role_kind = rng.choices(["employee", "leader", "elected_representative", "expert"], [5, 2, 2, 2])[0]
            person = new_person(org, role_kind, rng.choice(["Rådgiver", "Seniorrådgiver", "Avdelingsleder", "Tillitsvalgt", "Fagkonsulent"]))
            joined = start + timedelta(days=rng.randint(30, 700))
            join(person, group_key, rng.choices(["member", "secretary"], [9, 1])[0], joined, mandate=rng.random() < 0.7)
    for org in ("hiof", "virke", "karrieresenter", "borregaard"):
        coordination_people.append(new_person(org, "expert" if org == "hiof" else "leader", "Rådgiver"))
    for person in coordination_people:
        join(person, "coordination", "member", start + timedelta(days=rng.randint(60, 150)), mandate=True)
    # Some turnover: a few members left in phase 2.
    for m in rng.sample([m for m in ctx.memberships if m["role"] == "member"], 3):
        left = date.fromisoformat(m["joined_on"]) + timedelta(days=rng.randint(200, 500))
        client.post("membership", f"/memberships/{m['id']}/leave", {"left_on": min(left, date(2021, 6, 30)).isoformat()})
    ctx.counts["people"] = len(ctx.people)
    ctx.counts["memberships"] = len(ctx.memberships)
