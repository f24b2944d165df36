"""Registrer / Register: coordinators' forms that post to the services' HTTP APIs; API errors sit by their field."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import streamlit as st

from kf.contracts.events import Channel, GatheringKind
from kf.contracts.membership import GroupRole, RoleKind, Sector
from ui import apiclient, data, shell
from ui.components import FieldForm
from ui.i18n import t

OSLO = ZoneInfo("Europe/Oslo")


def _optional(text: str) -> str | None:
    return text.strip() or None


def _moment(day: date, at: time) -> str:
    return datetime.combine(day, at, tzinfo=OSLO).isoformat()


def organisation_form(ctx: shell.Context) -> None:
    form = FieldForm("organisation")
    with st.form("register_organisation"):
        body = {"name": st.text_input(t("field.org_name"), key="org_name")}
        form.slot("name")
        body["org_number"] = st.text_input(t("field.org_number"), key="org_number", help=t("field.org_number_help"))
        form.slot("org_number")
        body["sector"] = st.selectbox(t("field.sector"), [s.value for s in Sector], key="org_sector",
                                      format_func=lambda s: t(f"sector.{s}"))
        form.slot("sector")
        body["municipality"] = _optional(st.text_input(t("field.municipality"), key="org_municipality"))
        form.slot("municipality")
        submitted = st.form_submit_button(t("action.register"))
        form.general_slot()
    if submitted:
        form.submit(lambda: apiclient.send(ctx.endpoint("membership"), "POST", "/organisations", body),
                    lambda org: t("done.organisation", name=org["name"]))


def person_form(ctx: shell.Context, organisations: list[dict]) -> None:
    form = FieldForm("person")
    orgs = {o["id"]: o["name"] for o in organisations}
    with st.form("register_person"):
        body = {"name": st.text_input(t("field.person_name"), key="person_name")}
        form.slot("name")
        body["email"] = st.text_input(t("field.email"), key="person_email")
        form.slot("email")
        body["organisation_id"] = st.selectbox(t("field.organisation"), list(orgs), format_func=orgs.get, key="person_org")
        form.slot("organisation_id")
        body["role_kind"] = st.selectbox(t("field.role_kind"), [r.value for r in RoleKind], key="person_role_kind",
                                         format_func=lambda r: t(f"role_kind.{r}"))
        form.slot("role_kind")
        body["title"] = _optional(st.text_input(t("field.job_title"), key="person_title"))
        form.slot("title")
        submitted = st.form_submit_button(t("action.register"))
        form.general_slot()
    if submitted:
        form.submit(lambda: apiclient.send(ctx.endpoint("membership"), "POST", "/people", body),
                    lambda person: t("done.person", name=person.get("name") or ""))


def membership_form(ctx: shell.Context, people: list[dict], groups: list[dict]) -> None:
    form = FieldForm("membership")
    names = {p["id"]: p.get("name") or p["id"] for p in people}
    group_names = {g["id"]: g["name"] for g in groups}
    with st.form("register_membership"):
        body = {"person_id": st.selectbox(t("field.person"), list(names), format_func=names.get, key="member_person")}
        form.slot("person_id")
        body["group_id"] = st.selectbox(t("field.group"), list(group_names), format_func=group_names.get, key="member_group")
        form.slot("group_id")
        body["role"] = st.selectbox(t("field.group_role"), [r.value for r in GroupRole], index=1, key="member_role",
                                    format_func=lambda r: t(f"group_role.{r}"))
        form.slot("role")
        body["joined_on"] = st.date_input(t("field.joined_on"), key="member_joined_on").isoformat()
        form.slot("joined_on")
        submitted = st.form_submit_button(t("action.register"))
        form.general_slot()
    if submitted:
        form.submit(lambda: apiclient.send(ctx.endpoint("membership"), "POST", "/memberships", body),
                    lambda _: t("done.membership", name=names.get(body["person_id"], "")))


def gathering_form(ctx: shell.Context, areas: list[dict], groups: list[dict]) -> None:
    form = FieldForm("gathering")
    area_names = {a["id"]: a["name"] for a in areas}
    group_names = {g["id"]: g["name"] for g in groups}
    with st.form("register_gathering"):
        body = {"kind": st.selectbox(t("field.gathering_kind"), [k.value for k in GatheringKind], key="gathering_kind",
                                     format_func=lambda k: t(f"gathering_kind.{k}"))}
        form.slot("kind")
        body["title"] = st.text_input(t("field.title"), key="gathering_title")
        form.slot("title")
        day_col, start_col, end_col = st.columns(3)
        day = day_col.date_input(t("field.day"), key="gathering_day")
        starts = start_col.time_input(t("field.starts_at"), value=time(9, 0), key="gathering_starts")
        ends = end_col.time_input(t("field.ends_at"), value=time(15, 0), key="gathering_ends")
        form.slot("starts_at")
        form.slot("ends_at")
        body["place"] = _optional(st.text_input(t("field.place"), key="gathering_place"))
        form.slot("place")
        body["link"] = _optional(st.text_input(t("field.link"), key="gathering_link"))
        form.slot("link")
        body["focus_areas"] = st.multiselect(t("field.focus_areas"), list(area_names), format_func=area_names.get,
                                             key="gathering_focus_areas", placeholder=t("control.choose"))
        form.slot("focus_areas")
        body["hosting_group_id"] = st.selectbox(t("field.hosting_group"), [None] + list(group_names), key="gathering_group",
                                                format_func=lambda g: t("field.none") if g is None else group_names[g])
        form.slot("hosting_group_id")
        submitted = st.form_submit_button(t("action.schedule"))
        form.general_slot()
    if submitted:
        body["starts_at"], body["ends_at"] = _moment(day, starts), _moment(day, ends)
        form.submit(lambda: apiclient.send(ctx.endpoint("events"), "POST", "/gatherings", body),
                    lambda g: t("done.gathering", title=g["title"]))


def attendance_form(ctx: shell.Context, people: list[dict]) -> None:
    scheduled = shell.fetch_all(ctx, "events", "/gatherings", state="scheduled")
    if not scheduled:
        st.caption(t("register.no_scheduled"))
        return
    form = FieldForm("attendance")
    titles = {g["id"]: f"{g['starts_at'][:10]} {g['title']}" for g in scheduled}
    names = {p["id"]: p.get("name") or p["id"] for p in people}
    with st.form("register_attendance"):
        chosen = st.selectbox(t("field.gathering"), list(titles), format_func=titles.get, key="attendance_gathering")
        form.slot("gathering_id")
        attendees = st.multiselect(t("field.attendees"), list(names), format_func=names.get, key="attendance_people", placeholder=t("control.choose"))
        form.slot("attendees")
        held_on = st.date_input(t("field.held_on"), value=None, key="attendance_held_on")
        form.slot("held_on")
        submitted = st.form_submit_button(t("action.hold"))
        form.general_slot()
    if submitted:
        body = {"attendees": [{"person_id": p, "role": "participant"} for p in attendees],
                "held_on": held_on.isoformat() if held_on else None}
        form.submit(lambda: apiclient.send(ctx.endpoint("events"), "POST", f"/gatherings/{chosen}/held", body),
                    lambda g: t("done.attendance", count=len(g.get("attendees", [])), title=g["title"]))


def communication_form(ctx: shell.Context, areas: list[dict]) -> None:
    form = FieldForm("communication")
    area_names = {a["id"]: a["name"] for a in areas}
    with st.form("register_communication"):
        body = {"channel": st.selectbox(t("field.channel"), [c.value for c in Channel], key="comm_channel",
                                        format_func=lambda c: t(f"channel.{c}"))}
        form.slot("channel")
        body["title"] = st.text_input(t("field.title"), key="comm_title")
        form.slot("title")
        body["link"] = _optional(st.text_input(t("field.link"), key="comm_link"))
        form.slot("link")
        published = st.date_input(t("field.published_on"), key="comm_published")
        form.slot("published_at")
        body["focus_areas"] = st.multiselect(t("field.focus_areas"), list(area_names), format_func=area_names.get,
                                             key="comm_focus_areas", placeholder=t("control.choose"))
        form.slot("focus_areas")
        everyone = st.checkbox(t("field.audience_everyone"), value=True, key="comm_everyone")
        sectors = st.multiselect(t("field.audience_sectors"), [s.value for s in Sector], key="comm_sectors", placeholder=t("control.choose"),
                                 format_func=lambda s: t(f"sector.{s}"))
        form.slot("audience")
        left, right = st.columns(2)
        recipients = left.number_input(t("field.recipients"), min_value=0, value=None, step=1, key="comm_recipients")
        views = right.number_input(t("field.views"), min_value=0, value=None, step=1, key="comm_views")
        form.slot("recipients")
        form.slot("views")
        submitted = st.form_submit_button(t("action.publish"))
        form.general_slot()
    if submitted:
        body.update({"published_at": _moment(published, time(12, 0)), "audience": {"everyone": everyone, "sectors": sectors},
                     "recipients": recipients, "views": views})
        form.submit(lambda: apiclient.send(ctx.endpoint("events"), "POST", "/communications", body),
                    lambda c: t("done.communication", title=c["title"]))


def measure_form(ctx: shell.Context, areas: list[dict], groups: list[dict], organisations: list[dict]) -> None:
    form = FieldForm("measure")
    area_names = {a["id"]: a["name"] for a in areas}
    group_names = {g["id"]: g["name"] for g in groups if g.get("kind") == "competence"}
    orgs = {o["id"]: o["name"] for o in organisations}
    with st.form("register_measure"):
        body = {"title": st.text_input(t("field.title"), key="measure_title")}
        form.slot("title")
        body["description"] = _optional(st.text_area(t("field.description"), key="measure_description"))
        form.slot("description")
        body["focus_area"] = st.selectbox(t("field.focus_area"), list(area_names), format_func=area_names.get,
                                          key="measure_focus_area")
        form.slot("focus_area")
        body["proposing_group_id"] = st.selectbox(t("field.proposing_group"), [None] + list(group_names),
                                                  key="measure_group",
                                                  format_func=lambda g: t("field.none") if g is None else group_names[g])
        form.slot("proposing_group_id")
        body["partner_organisation_ids"] = st.multiselect(t("field.partners"), list(orgs), format_func=orgs.get,
                                                          key="measure_partners", placeholder=t("control.choose"))
        form.slot("partner_organisation_ids")
        body["proposed_on"] = st.date_input(t("field.proposed_on"), key="measure_proposed_on").isoformat()
        form.slot("proposed_on")
        submitted = st.form_submit_button(t("action.propose"))
        form.general_slot()
    if submitted:
        form.submit(lambda: apiclient.send(ctx.endpoint("measures"), "POST", "/measures", body),
                    lambda m: t("done.measure", title=m["title"]))


def effect_report_form(ctx: shell.Context, people: list[dict]) -> None:
    measures = shell.fetch_all(ctx, "measures", "/measures", state="in_progress")
    indicators = data.indicators(ctx)
    if measures is None or indicators is None:
        return
    if not measures:
        st.caption(t("register.no_measures_in_progress"))
        return
    form = FieldForm("effect")
    titles = {m["id"]: m["title"] for m in measures}
    names = {p["id"]: p.get("name") or p["id"] for p in people}
    with st.form("register_effect"):
        measure_id = st.selectbox(t("field.measure"), list(titles), format_func=titles.get, key="effect_measure")
        form.slot("measure_id")
        body = {"indicator": st.selectbox(t("field.indicator"), list(indicators), key="effect_indicator",
                                          format_func=lambda i: indicators[i]["name"])}
        form.slot("indicator")
        body["value"] = st.number_input(t("field.value"), value=0.0, key="effect_value")
        form.slot("value")
        left, right = st.columns(2)
        body["period_start"] = left.date_input(t("field.period_start"), key="effect_start").isoformat()
        body["period_end"] = right.date_input(t("field.period_end"), key="effect_end").isoformat()
        form.slot("period_start")
        form.slot("period_end")
        body["source"] = st.text_input(t("field.source"), key="effect_source", help=t("field.source_help"))
        form.slot("source")
        body["reported_by_person_id"] = st.selectbox(t("field.reported_by"), list(names), format_func=names.get,
                                                     key="effect_reporter")
        form.slot("reported_by_person_id")
        submitted = st.form_submit_button(t("action.report"))
        form.general_slot()
    if submitted:
        form.submit(lambda: apiclient.send(ctx.endpoint("measures"), "POST", f"/measures/{measure_id}/effect-reports", body),
                    lambda r: t("done.effect", value=r["value"], title=titles[measure_id]))


def render() -> None:
    ctx = shell.current()
    st.header(t("register.title"))
    st.caption(t("register.help"))
    areas = data.focus_areas(ctx) or []
    organisations = shell.fetch_all(ctx, "membership", "/organisations")
    people = shell.fetch_all(ctx, "membership", "/people") or []
    groups = shell.fetch_all(ctx, "membership", "/groups") or []
    tabs = st.tabs([t("register.tab.members"), t("register.tab.gatherings"), t("register.tab.communications"),
                    t("register.tab.measures"), t("register.tab.effects")])
    with tabs[0]:
        st.subheader(t("register.organisation"))
        organisation_form(ctx)
        if organisations is not None:
            st.subheader(t("register.person"))
            person_form(ctx, organisations)
            st.subheader(t("register.membership"))
            membership_form(ctx, people, groups)
    with tabs[1]:
        st.subheader(t("register.gathering"))
        gathering_form(ctx, areas, groups)
        st.subheader(t("register.attendance"))
        attendance_form(ctx, people)
    with tabs[2]:
        st.subheader(t("register.communication"))
        communication_form(ctx, areas)
    with tabs[3]:
        st.subheader(t("register.measure"))
        measure_form(ctx, areas, groups, organisations or [])
    with tabs[4]:
        st.subheader(t("register.effect"))
        effect_report_form(ctx, people)


if __name__ == "__main__":
    render()
