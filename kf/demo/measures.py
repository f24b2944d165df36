"""Demo measures: Østfold's tiltak in every lifecycle state per focus area, with expected effects,
quarterly effect reports 2020–2025 (one corrected) and followers, seeded through the measures API.

Workshop input goes through the events service when its demo made workshops (the measures service
consumes it from NATS); otherwise through the measures API.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from kf.demo.client import DemoClient, DemoContext, DemoError

# The state each measure of a focus area ends in, in the order of the titles below.
STATES = ("in_progress", "completed", "stopped", "anchored", "adopted", "rejected", "revised", "in_review", "proposed")

# focus area -> (title, description) per state in STATES, partner keys, owner keys
TITLES: dict[str, list[tuple[str, str]]] = {
    "relevant_competence": [
        ("Flere læreplasser i industrien i Nedre Glomma", "Bedrifter, opplæringskontor og videregående skoler rekrutterer lærebedrifter sammen."),
        ("Lærlingløftet i bygg og anlegg i Indre Østfold", "Felles lærlingordning for små byggebedrifter som ikke kan ta inn lærlinger alene."),
        ("Felles opplæringskontor for prosessindustrien i Sarpsborg", "Et opplæringskontor for kjemiprosess- og laboratoriefag."),
        ("Fagbrev på jobb for ufaglærte i Fredrikstad kommune", "Ansatte uten fagbrev tar fagbrev i helse- og oppvekstfag mens de er i jobb."),
        ("Y-vei til ingeniørutdanning ved Høgskolen i Østfold", "Fagarbeidere med relevant fagbrev får en egen vei til ingeniørstudiet."),
        ("Regional kompetansebørs for teknologifag", "En nettside der bedrifter deler kompetanse og utstyr."),
        ("Praksisplasser for fagskolestudenter i elkraft", "Energiselskap og fagskole lager faste praksisplasser."),
        ("Vekslingsmodell for voksne i industrifag", "Veksling mellom opplæring og arbeid for voksne i industrien."),
        ("Kartlegging av kompetansebehov i havnenæringen i Moss", "Behovsanalyse sammen med havna og logistikkbedriftene."),
    ],
    "lifelong_learning": [
        ("Bransjeprogram for EVU i helse", "Etter- og videreutdanning for helsefagarbeidere i kommunene, finansiert gjennom bransjeprogrammet."),
        ("Digital kompetanse for ansatte i varehandelen", "Korte nettbaserte moduler i netthandel og digital markedsføring."),
        ("Nettbasert videreutdanning i automasjon", "Fagskolemoduler i automasjon for operatører i industrien."),
        ("Karriereveiledning for arbeidstakere over 50", "Karrieresenteret tilbyr veiledning på arbeidsplassen."),
        ("Fagskoletilbud i grønn omstilling for industrien", "Nye fagskolemoduler i energieffektivisering og sirkulær produksjon."),
        ("Felles EVU-portal for Østfold", "Én portal for alle etter- og videreutdanningstilbud i regionen."),
        ("Modulbasert videreutdanning for barnehageansatte", "Studiepoenggivende moduler på kveldstid."),
        ("Kompetansepiloter i små og mellomstore bedrifter", "Bedrifter får hjelp til å lage en kompetanseplan."),
        ("Lese- og skrivekurs på arbeidsplassen", "Grunnleggende ferdigheter gjennom Kompetanse Pluss."),
    ],
    "inclusion": [
        ("Inkludering av flyktninger gjennom språkpraksis", "Språkpraksis i bedrifter kombinert med norskopplæring og mentor."),
        ("Jobbsjansen for kvinner med innvandrerbakgrunn i Moss", "Kvalifisering og arbeidspraksis for hjemmeværende kvinner."),
        ("Sosialt entreprenørskap for unge utenfor arbeidslivet", "Unge starter egne prosjekter med støtte fra frivillige."),
        ("Arbeidstrening i frivillige organisasjoner", "Arbeidstrening med oppfølging i frivilligsentraler."),
        ("Inkluderingsavtaler med bedrifter i Halden", "Bedrifter forplikter seg til å ta inn kandidater fra NAV."),
        ("Egen inkluderingsenhet i fylkeskommunen", "En ny enhet som samler inkluderingsarbeidet."),
        ("Mentorordning for nyutdannede med funksjonsnedsettelse", "Mentorer fra arbeidslivet følger opp nyutdannede det første året."),
        ("Tilrettelagt fagopplæring for voksne innvandrere", "Fagopplæring med norskstøtte i helse- og industrifag."),
        ("Sommerjobb for ungdom i NAV-oppfølging", "Sommerjobb i kommunene for ungdom som står utenfor skole og arbeid."),
    ],
}
PARTNERS = {"relevant_competence": ["nho", "borregaard", "nexans", "fellesforbundet", "fagskolen", "hiof", "rygge_industri"],
            "lifelong_learning": ["karrieresenter", "fagskolen", "hiof", "virke", "ks", "lo"],
            "inclusion": ["nav", "rodekors", "frivillig", "bymisjon", "statsforvalteren", "ks"]}
OWNERS = {"relevant_competence": ["viken", "fredrikstad", "sarpsborg", "nho"],
          "lifelong_learning": ["karrieresenter", "ks", "fagskolen", "fredrikstad"],
          "inclusion": ["nav", "moss", "halden", "indre"]}
# indicator -> (baseline, target, source) for a typical measure
EFFECTS = {"apprenticeships": (120, 180, "Udir lærlingstatistikk"), "evu_participants": (300, 520, "SSB"),
           "people_included": (40, 110, "NAV"), "companies_reached": (25, 80, "NHO Viken Oslo")}
STOP_REASONS = ["Finansieringen fra bransjeprogrammet falt bort", "For få deltakere etter pandemien",
                "Eieren trakk seg etter omorganisering"]
LAST_REPORTED_QUARTER_END = date(2025, 9, 30)


@dataclass
class _Plan:
    focus: str
    state: str
    title: str
    description: str
    proposed_on: date
    id: str = ""
    contact: str = ""
    input_on: date | None = None


def _quarters(first_day: date, last_day: date) -> list[tuple[date, date]]:
    """Calendar quarters that start on or after `first_day` and end on or before `last_day`."""
    out = []
    year, q = first_day.year, (first_day.month - 1) // 3 + 1
    while True:
        start = date(year, 3 * q - 2, 1)
        end = (date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)) - timedelta(days=1)
        if end > last_day:
            return out
        if start >= first_day:
            out.append((start, end))
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)


def _proposal_date(state: str, rng: random.Random) -> date:
    if state in ("in_progress", "completed", "stopped"):
        return date(2019, 10, 1) + timedelta(days=rng.randint(0, 120))
    if state in ("adopted", "rejected", "anchored"):
        return date(2024, 3, 1) + timedelta(days=rng.randint(0, 120))
    return date(2025, 4, 1) + timedelta(days=rng.randint(0, 100))


def seed(client: DemoClient, ctx: DemoContext) -> None:
    rng = random.Random(2020)
    areas = {f["id"] for f in client.get("measures", "/focus-areas")}
    indicators = client.get("measures", "/indicators")
    people = list(ctx.people.values())
    orgs = ctx.organisations

    def org_id(key: str) -> str:
        return orgs[key]["id"] if key in orgs else f"demo-{key}"

    def person_of(org_key: str) -> str:
        local = [p["id"] for p in people if p.get("organisation_id") == org_id(org_key)]
        return rng.choice(local or [p["id"] for p in people] or ["demo-person"])

    plans: list[_Plan] = []
    for focus, titles in TITLES.items():
        if focus not in areas:
            continue
        for state, (title, description) in zip(STATES, titles, strict=True):
            plans.append(_Plan(focus, state, title, description, _proposal_date(state, rng)))

    reports = 0
    for plan in plans:
        partners = rng.sample(PARTNERS[plan.focus], 3)
        plan.contact = person_of(partners[0])
        measure = client.post("measures", "/measures", {
            "title": plan.title, "description": plan.description, "focus_area": plan.focus,
            "proposing_group_id": ctx.groups.get(f"competence:{plan.focus}", {}).get("id"),
            "contact_person_id": plan.contact, "partner_organisation_ids": [org_id(k) for k in partners],
            "proposed_on": plan.proposed_on.isoformat()})
        plan.id = measure["id"]
        main = next((i for i in indicators if i.get("focus_area") == plan.focus), None)
        chosen = [main] if main else []
        if plan.focus == "relevant_competence" and any(i["id"] == "companies_reached" for i in indicators):
            chosen.append(next(i for i in indicators if i["id"] == "companies_reached"))
        for indicator in chosen:
            baseline, target, _ = EFFECTS.get(indicator["id"], (10, 20, "SSB"))
            scale = rng.uniform(0.3, 1.0)
            client.post("measures", f"/measures/{plan.id}/expected-effects", {
                "indicator": indicator["id"], "baseline": round(baseline * scale), "target": round(target * scale),
                "baseline_date": date(plan.proposed_on.year, 1, 1).isoformat(),
                "target_date": date(plan.proposed_on.year + 4, 12, 31).isoformat()})
        for person in rng.sample(people, min(len(people), rng.randint(1, 4))):
            client.post("measures", f"/measures/{plan.id}/followers", {"person_id": person["id"]})

    _workshop_input(client, ctx, [p for p in plans if p.state != "proposed"], rng)

    corrected = False
    for plan in plans:
        day = plan.input_on
        if plan.state in ("proposed", "in_review"):
            continue
        day += timedelta(days=rng.randint(20, 45))
        client.post("measures", f"/measures/{plan.id}/revise", {"revised_on": day.isoformat()})
        if plan.state == "revised":
            continue
        day += timedelta(days=rng.randint(20, 40))
        decision = {"decided_by": "Styringsgruppen", "decided_on": day.isoformat()}
        if plan.state == "rejected":
            client.post("measures", f"/measures/{plan.id}/reject", {
                **decision, "rationale": "Overlapper med tiltak som allerede er vedtatt; gruppen bes samordne."})
            continue
        client.post("measures", f"/measures/{plan.id}/adopt", {
            **decision, "rationale": "Svarer på et dokumentert kompetansebehov og har partnere som bidrar."})
        if plan.state == "adopted":
            continue
        day += timedelta(days=rng.randint(20, 60))
        owner = rng.choice(OWNERS[plan.focus])
        client.post("measures", f"/measures/{plan.id}/ownership", {
            "organisation_id": org_id(owner), "mandate_holder_person_id": person_of(owner), "accepted_on": day.isoformat()})
        if plan.state == "anchored":
            continue
        day += timedelta(days=rng.randint(15, 45))
        client.post("measures", f"/measures/{plan.id}/start", {"started_on": day.isoformat()})
        end = {"completed": date(2023, 12, 31), "stopped": date(2021, 9, 30)}.get(plan.state, LAST_REPORTED_QUARTER_END)
        reports += _report_quarters(client, plan, day, end, rng, correct=not corrected)
        corrected = True
        if plan.state == "completed":
            client.post("measures", f"/measures/{plan.id}/complete", {
                "completed_on": end.isoformat(), "summary": "Målet er i hovedsak nådd; erfaringene deles i koordineringsteamet."})
        elif plan.state == "stopped":
            client.post("measures", f"/measures/{plan.id}/stop", {"stopped_on": end.isoformat(),
                                                                   "reason": rng.choice(STOP_REASONS)})

    ctx.extra["measures"] = [p.id for p in plans]
    ctx.counts["measures"] = len(plans)
    ctx.counts["effect_reports"] = reports


def _workshop_input(client: DemoClient, ctx: DemoContext, plans: list[_Plan], rng: random.Random) -> None:
    """Record input for each plan, through the events service's workshops when there are any."""
    workshops = [w for w in ctx.extra.get("workshops") or [] if isinstance(w, dict) and w.get("id")]
    via_events = bool(workshops) and "events" in client.urls
    for plan in plans:
        fitting = [w for w in workshops if plan.focus in (w.get("focus_areas") or [plan.focus])
                   and plan.proposed_on < date.fromisoformat(w["held_on"]) <= plan.proposed_on + timedelta(days=240)]
        workshop = fitting[0] if fitting else (rng.choice(workshops) if workshops else None)
        plan.input_on = (date.fromisoformat(workshop["held_on"]) if fitting
                         else plan.proposed_on + timedelta(days=rng.randint(20, 50)))
        body = {"text": f"Innspill fra workshop: {rng.choice(INPUT_TEXTS)}", "recorded_on": plan.input_on.isoformat()}
        if via_events and workshop is not None:
            try:
                client.post("events", f"/gatherings/{workshop['id']}/inputs", {"measure_id": plan.id, **body})
                continue
            except DemoError:
                via_events = False  # no such endpoint in this build: use the measures API from now on
        client.post("measures", f"/measures/{plan.id}/inputs",
                    {**body, "gathering_id": workshop["id"] if workshop else None})
    ids = {p.id for p in plans}

    def all_reviewed() -> bool:
        waiting = client.get("measures", "/measures", state="proposed", limit=500)["items"]
        return not any(m["id"] in ids for m in waiting)

    client.wait_for(all_reviewed, "workshop input reaching every measure")


INPUT_TEXTS = ["involver fagskolen tidligere", "ta med arbeidstakerorganisasjonene", "del opp i pilot og utrulling",
               "avklar finansiering med fylkeskommunen", "bruk bedriftsbesøk til rekruttering",
               "mål effekt på kjønnsbalanse", "samordne med NAVs tiltak", "se til Vestfold og Telemark sin modell"]


def _report_quarters(client: DemoClient, plan: _Plan, started: date, end: date, rng: random.Random, *,
                     correct: bool) -> int:
    effects = client.get("measures", f"/measures/{plan.id}/expected-effects")
    count = 0
    for effect in effects:
        quarters = _quarters(started, end)
        source = EFFECTS.get(effect["indicator"], (0, 0, "SSB"))[2]
        for i, (start, stop) in enumerate(quarters):
            progress = (i + 1) / max(len(quarters), 1)
            level = effect["baseline"] + (effect["target"] - effect["baseline"]) * progress
            value = max(0, round(level / 4 * rng.uniform(0.8, 1.2)))
            report = client.post("measures", f"/measures/{plan.id}/effect-reports", {
                "indicator": effect["indicator"], "value": value, "period_start": start.isoformat(),
                "period_end": stop.isoformat(), "source": source, "reported_by_person_id": plan.contact})
            count += 1
            if correct and i == 2:
                client.post("measures", f"/measures/{plan.id}/effect-reports", {
                    "indicator": effect["indicator"], "value": value + 3, "period_start": start.isoformat(),
                    "period_end": stop.isoformat(), "source": f"{source} (korrigert)",
                    "reported_by_person_id": plan.contact, "supersedes_report_id": report["id"]})
                count += 1
                correct = False
    return count
