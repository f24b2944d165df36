"""Demo events: Østfold's gatherings 2019–2021 (felles-samlinger, workshops with speakers, company
visits, webinars, group meetings; one cancelled by the pandemic), two upcoming ones, and the
forum's newsletters, articles and posts with their audiences and reach."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from kf.contracts.fields import FORUM_TIME
from kf.demo.client import DemoClient, DemoContext

OSLO = FORUM_TIME

# External speakers (invented names): they are stored only in the events service's database.
EXTERNAL = {
    "nho": ("Ingvild Sørum", "NHO Viken Oslo"),
    "hiof": ("Tor Arne Haugland", "Høgskolen i Østfold"),
    "kompetanse_norge": ("Marianne Birkeland", "Kompetanse Norge"),
    "fafo": ("Henrik Aasland", "Fafo"),
    "imdi": ("Nadia Rahimi", "IMDi Øst"),
    "borregaard": ("Per Kristian Moe", "Borregaard AS"),
    "nexans": ("Hege Lunde", "Nexans Norway AS"),
    "energi": ("Vidar Strøm", "Fredrikstad Energi AS"),
    "oslomet": ("Elisabeth Hovde", "OsloMet"),
}

# day, kind, title, place (None: online), focus areas ("*": all), hosting group key, agenda
# agenda items: (title, speaker) where speaker is "ext:KEY", "member:GROUP_KEY" (that group's leader) or None
GATHERINGS = [
    ("2019-05-09", "common_gathering", "Oppstartssamling Kompetanseforum Østfold", "Quality Hotel Sarpsborg", "*", None,
     [("Velkommen og mandat", "member:steering"), ("Kompetansebehov i Østfold", "ext:nho"), ("Gruppearbeid", None)]),
    ("2019-09-19", "workshop", "Workshop: innspill til tiltak for relevant kompetanse", "Høgskolen i Østfold, Fredrikstad",
     ["relevant_competence"], "competence:relevant_competence",
     [("Hva sier kompetansebarometeret?", "ext:hiof"), ("Innspill i grupper", "member:competence:relevant_competence")]),
    ("2019-10-10", "company_visit", "Bedriftsbesøk hos Borregaard", "Borregaard, Sarpsborg", ["relevant_competence"],
     "coordination", [("Kompetanse i prosessindustrien", "ext:borregaard"), ("Omvisning", None)]),
    ("2019-11-14", "common_gathering", "Felles-samling høst 2019: regional kompetansestrategi", "Quality Hotel Sarpsborg",
     "*", "coordination",
     [("Regional kompetansestrategi", "member:steering"), ("Livslang læring i praksis", "ext:kompetanse_norge"),
      ("Gruppene presenterer", "member:coordination")]),
    ("2020-01-16", "group_meeting", "Gruppemøte: inkludering og integrering", "NAV Øst-Viken, Sarpsborg", ["inclusion"],
     "competence:inclusion", [("Status for tiltakene", "member:competence:inclusion")]),
    ("2020-02-06", "workshop", "Workshop: inkludering og integrering", "Halden rådhus", ["inclusion"],
     "competence:inclusion", [("Integrering gjennom arbeid", "ext:imdi"), ("Idéverksted", None)]),
    ("2020-05-14", "webinar", "Webinar: permitterte og kompetanseheving under pandemien", None, ["lifelong_learning"],
     "competence:lifelong_learning", [("Hva vet vi om permitterte?", "ext:fafo"), ("Tilbud i regionen", "member:competence:lifelong_learning")]),
    ("2020-09-17", "company_visit", "Bedriftsbesøk hos Nexans Norway i Halden", "Nexans, Halden", ["relevant_competence"],
     "competence:relevant_competence", [("Fagbrev i kabelindustrien", "ext:nexans")]),
    ("2020-10-22", "common_gathering", "Digital felles-samling høst 2020", None, "*", "coordination",
     [("Forumet etter et halvt år med pandemi", "member:steering"), ("Gruppearbeid i Teams", None)]),
    ("2020-11-26", "workshop", "Digital workshop: livslang læring", None, ["lifelong_learning"],
     "competence:lifelong_learning", [("Fleksible utdanningstilbud", "ext:oslomet"), ("Innspill til tiltak", None)]),
    ("2021-01-21", "group_meeting", "Gruppemøte: relevant kompetanse", None, ["relevant_competence"],
     "competence:relevant_competence", [("Tiltak fase 2", "member:competence:relevant_competence")]),
    ("2021-02-11", "webinar", "Webinar: fagbrev på jobb", None, ["relevant_competence", "lifelong_learning"],
     "coordination", [("Fagbrev på jobb i Østfold", "ext:hiof")]),
    ("2021-04-15", "common_gathering", "Digital felles-samling vår 2021", None, "*", "coordination",
     [("Resultater så langt", "member:coordination"), ("Evaluering av forumet", "ext:fafo")]),
    ("2021-05-27", "workshop", "Workshop: tiltak for fase 2", "Fagskolen i Viken, Fredrikstad", "*", "coordination",
     [("Forslagene fra gruppene", "member:coordination"), ("Prioritering i grupper", None)]),
    ("2021-06-10", "group_meeting", "Styringsgruppemøte juni 2021", "Viken fylkeskommune, Sarpsborg", [], "steering",
     [("Vedtak om tiltak", "member:steering")]),
    ("2021-09-09", "company_visit", "Bedriftsbesøk hos Fredrikstad Energi", "Fredrikstad Energi", ["relevant_competence"],
     "coordination", [("Det grønne skiftet og kompetanse", "ext:energi")]),
    ("2021-11-11", "common_gathering", "Felles-samling høst 2021: resultater og veien videre", "Fredrikstad kino", "*",
     "coordination", [("Hva har forumet oppnådd?", "member:steering"), ("Panel", "ext:nho")]),
]
CANCELLED = ("2020-03-19", "common_gathering", "Felles-samling vår 2020", "Quality Hotel Sarpsborg",
             "Avlyst på grunn av koronapandemien")

# day, channel, title, link, focus areas, audience (group keys in "groups"), recipients, views
COMMUNICATIONS = [
    ("2019-05-20", "newsletter", "Nyhetsbrev 1/2019: Kompetanseforum Østfold er i gang", [], {"everyone": True}, 180, None),
    ("2019-06-03", "web_article", "Tre kompetansegrupper skal finne tiltak", [], {"everyone": True}, None, 420),
    ("2019-09-30", "media_article", "Forumet vil ha flere læreplasser i Østfold", ["relevant_competence"],
     {"sectors": ["business", "employer_organisation"]}, None, 3100),
    ("2019-10-14", "facebook_post", "Takk til Borregaard for et lærerikt besøk", ["relevant_competence"],
     {"sectors": ["business"], "focus_areas": ["relevant_competence"]}, None, 860),
    ("2019-12-02", "newsletter", "Nyhetsbrev 2/2019: fra felles-samlingen", [], {"everyone": True}, 195, None),
    ("2020-02-10", "teams_post", "Oppsummering fra workshopen om inkludering", ["inclusion"],
     {"groups": ["competence:inclusion", "coordination"]}, 30, None),
    ("2020-03-16", "newsletter", "Ekstra nyhetsbrev: felles-samlingen i mars avlyses", [], {"everyone": True}, 205, None),
    ("2020-04-20", "web_article", "Kompetanseheving for permitterte", ["lifelong_learning"],
     {"sectors": ["municipality", "state_agency", "union"], "focus_areas": ["lifelong_learning"]}, None, 1250),
    ("2020-06-15", "newsletter", "Nyhetsbrev 2/2020", [], {"everyone": True}, 214, None),
    ("2020-09-21", "facebook_post", "Nexans viser vei med fagbrev", ["relevant_competence"],
     {"sectors": ["business", "vocational_college"]}, None, 1430),
    ("2020-11-30", "teams_post", "Innspill fra den digitale workshopen", ["lifelong_learning"],
     {"groups": ["competence:lifelong_learning"], "role_kinds": ["leader"]}, 25, None),
    ("2021-01-11", "media_article", "Slik skal Østfold få flere inn i arbeidslivet", ["inclusion"],
     {"everyone": True}, None, 5400),
    ("2021-03-01", "web_article", "Fagbrev på jobb: erfaringer fra webinaret", ["relevant_competence", "lifelong_learning"],
     {"role_kinds": ["leader", "elected_representative"], "focus_areas": ["relevant_competence"]}, None, 690),
    ("2021-04-19", "newsletter", "Nyhetsbrev 1/2021: fase 2 starter", [], {"everyone": True}, 236, None),
    ("2021-06-14", "teams_post", "Styringsgruppen har vedtatt tiltakene", [], {"groups": ["steering", "coordination"]}, 14, None),
    ("2021-09-13", "facebook_post", "Grønn kompetanse hos Fredrikstad Energi", ["relevant_competence"],
     {"sectors": ["business", "employer_organisation", "union"]}, None, 2050),
    ("2021-11-22", "newsletter", "Nyhetsbrev 3/2021: resultater og veien videre", [], {"everyone": True}, 251, None),
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=OSLO)


def _iso(day: str | date, hour: int, minute: int = 0) -> str:
    return _at(date.fromisoformat(day) if isinstance(day, str) else day, hour, minute).isoformat()


def seed(client: DemoClient, ctx: DemoContext) -> None:
    rng = random.Random(2019)
    memberships = _all_memberships(client)
    _wait_for_directory(client, ctx, memberships)
    areas = [f["id"] for f in client.get("events", "/focus-areas")]
    group_id = {key: g["id"] for key, g in ctx.groups.items()}
    leader = {m["group_id"]: m["person_id"] for m in memberships if m["role"] == "leader"}

    def members_on(day: date, group_keys: list[str] | None = None) -> list[str]:
        wanted = {group_id[k] for k in group_keys} if group_keys is not None else None
        people = {m["person_id"] for m in memberships
                  if date.fromisoformat(m["joined_on"]) <= day
                  and (m["left_on"] is None or date.fromisoformat(m["left_on"]) > day)
                  and (wanted is None or m["group_id"] in wanted)}
        return sorted(people)

    def speaker(spec: str | None) -> dict:
        if spec is None:
            return {}
        kind, _, key = spec.partition(":")
        if kind == "ext":
            name, organisation = EXTERNAL[key]
            return {"external_speaker": {"name": name, "organisation": organisation}}
        person = leader.get(group_id.get(key, ""))
        return {"speaker_person_id": person} if person else {}

    gathering_ids: list[str] = []
    workshops: list[dict] = []
    attendances = 0
    for day, kind, title, place, focus, host, agenda in GATHERINGS:
        start = date.fromisoformat(day)
        body = {"kind": kind, "title": title, "starts_at": _iso(start, 9 if kind != "group_meeting" else 13),
                "ends_at": _iso(start, 15 if kind != "group_meeting" else 15, 30),
                "place": place, "link": None if place else "https://teams.microsoft.com/l/meetup-join/demo",
                "focus_areas": areas if focus == "*" else [a for a in focus if a in areas],
                "hosting_group_id": group_id.get(host) if host else None,
                "agenda": [{"title": item, **speaker(spec)} for item, spec in agenda]}
        g = client.post("events", "/gatherings", body)
        gathering_ids.append(g["id"])
        attendees = _attendance(rng, kind, host, start, members_on, group_id, leader, g)
        client.post("events", f"/gatherings/{g['id']}/held", {"attendees": attendees})
        attendances += len(attendees)
        if kind == "workshop":
            workshops.append({"id": g["id"], "title": title, "held_on": start.isoformat(), "focus_areas": body["focus_areas"]})

    day, kind, title, place, reason = CANCELLED
    g = client.post("events", "/gatherings", {"kind": kind, "title": title, "starts_at": _iso(day, 9),
                                              "ends_at": _iso(day, 15), "place": place, "focus_areas": areas,
                                              "hosting_group_id": group_id.get("coordination")})
    client.post("events", f"/gatherings/{g['id']}/cancel", {"reason": reason})
    gathering_ids.append(g["id"])

    # Upcoming, relative to today, so each member's feed has something ahead.
    today = datetime.now(UTC).date()
    upcoming = [
        {"kind": "common_gathering", "title": "Felles-samling: kompetanseforumet videre", "place": "Quality Hotel Sarpsborg",
         "starts_at": _iso(today + timedelta(days=21), 9), "ends_at": _iso(today + timedelta(days=21), 15),
         "focus_areas": areas, "hosting_group_id": group_id.get("coordination"),
         "agenda": [{"title": "Fremtidens kompetansebehov", **speaker("ext:nho")},
                    {"title": "Gruppearbeid", **speaker("member:coordination")}]},
        {"kind": "workshop", "title": "Workshop: nye tiltak for livslang læring", "link": "https://teams.microsoft.com/l/meetup-join/demo2",
         "starts_at": _iso(today + timedelta(days=35), 12), "ends_at": _iso(today + timedelta(days=35), 15),
         "focus_areas": [a for a in ("lifelong_learning",) if a in areas],
         "hosting_group_id": group_id.get("competence:lifelong_learning"),
         "agenda": [{"title": "Innledning", **speaker("member:competence:lifelong_learning")}]},
    ]
    for body in upcoming:
        gathering_ids.append(client.post("events", "/gatherings", body)["id"])

    communications = 0
    for day, channel, title, focus, audience, recipients, views in COMMUNICATIONS:
        _publish(client, group_id, areas, day, channel, title, focus, audience, recipients, views, rng)
        communications += 1
    for days_ago, channel, title, audience in ((6, "newsletter", "Nyhetsbrev: invitasjon til felles-samling", {"everyone": True}),
                                              (2, "teams_post", "Forslag til agenda for workshopen om livslang læring",
                                               {"groups": ["competence:lifelong_learning", "coordination"]})):
        _publish(client, group_id, areas, today - timedelta(days=days_ago), channel, title, [], audience,
                 260 if channel == "newsletter" else 20, None, rng)
        communications += 1

    ctx.extra["gatherings"] = gathering_ids
    ctx.extra["workshops"] = workshops
    ctx.counts["gatherings"] = len(gathering_ids)
    ctx.counts["attendances"] = attendances
    ctx.counts["communications"] = communications


def _all_memberships(client: DemoClient) -> list[dict]:
    items, offset = [], 0
    while True:
        page = client.get("membership", "/memberships", limit=500, offset=offset)
        items += page["items"]
        offset += len(page["items"])
        if offset >= page["total"] or not page["items"]:
            return items


def _wait_for_directory(client: DemoClient, ctx: DemoContext, memberships: list[dict]) -> None:
    """The events service learns people from membership events; wait until all of them arrived."""
    left = sum(1 for m in memberships if m["left_on"] is not None)

    def arrived() -> bool:
        seen = client.get("events", "/directory")
        return (seen["people"] >= len(ctx.people) and seen["groups"] >= len(ctx.groups)
                and seen["memberships"] >= len(memberships) and seen["memberships"] - seen["active_memberships"] >= left)

    client.wait_for(arrived, "the events service's directory to know every demo member", timeout=120)


def _attendance(rng: random.Random, kind: str, host: str | None, day: date, members_on, group_id: dict, leader: dict,
                gathering: dict) -> list[dict]:
    everyone = members_on(day)
    hosts = members_on(day, [host]) if host else []
    if kind == "common_gathering":
        chosen = rng.sample(everyone, k=max(1, int(len(everyone) * rng.uniform(0.6, 0.85))))
    elif kind == "workshop":
        others = [p for p in everyone if p not in hosts]
        chosen = hosts + rng.sample(others, k=min(len(others), rng.randint(6, 12)))
    elif kind == "company_visit":
        chosen = rng.sample(everyone, k=min(len(everyone), rng.randint(8, 15)))
    elif kind == "webinar":
        chosen = rng.sample(everyone, k=min(len(everyone), rng.randint(12, 25)))
    else:  # group meeting: the group's own members, most of them
        chosen = rng.sample(hosts, k=max(1, int(len(hosts) * 0.8))) if hosts else rng.sample(everyone, k=min(5, len(everyone)))
    speakers = {a["speaker_person_id"] for a in gathering["agenda"] if a["speaker_person_id"]}
    host_person = leader.get(group_id.get(host or "", ""))
    people = list(dict.fromkeys([*chosen, *sorted(speakers)]))
    roles = []
    for person in people:
        role = "speaker" if person in speakers else "host" if person == host_person else "participant"
        roles.append({"person_id": person, "role": role})
    if kind == "workshop" and len(roles) > 2 and roles[1]["role"] == "participant":
        roles[1]["role"] = "facilitator"
    return roles


def _publish(client: DemoClient, group_id: dict, areas: list[str], day, channel: str, title: str, focus: list[str],
             audience: dict, recipients: int | None, views: int | None, rng: random.Random) -> None:
    day = date.fromisoformat(day) if isinstance(day, str) else day
    body_audience = {k: v for k, v in audience.items() if k != "groups"}
    body_audience["group_ids"] = [group_id[k] for k in audience.get("groups", []) if k in group_id]
    body_audience["focus_areas"] = [a for a in audience.get("focus_areas", []) if a in areas]
    c = client.post("events", "/communications", {
        "channel": channel, "title": title, "link": f"https://kompetanseforum-ostfold.example/{day.isoformat()}",
        "published_at": _iso(day, 10), "focus_areas": [a for a in focus if a in areas], "audience": body_audience,
        "recipients": recipients, "views": views})
    if views is not None and day < date(2021, 12, 31):
        # A fuller count a month later, as the web statistics come in.
        client.post("events", f"/communications/{c['id']}/reach",
                    {"views": views + rng.randint(50, 400), "reported_at": _iso(day + timedelta(days=30), 12)})
