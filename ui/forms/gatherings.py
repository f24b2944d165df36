"""Forms of the events service: gatherings, their attendance, and communications."""

from __future__ import annotations

from datetime import time

import streamlit as st

from kf.contracts.events import Channel, GatheringKind
from kf.contracts.membership import Sector
from ui import apiclient, shell
from ui.components import FieldForm
from ui.forms import moment, optional
from ui.i18n import t
from ui.markup import md


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
        day = day_col.date_input(t("field.day"), key="gathering_day", format="DD.MM.YYYY")
        starts = start_col.time_input(t("field.starts_at"), value=time(9, 0), key="gathering_starts")
        ends = end_col.time_input(t("field.ends_at"), value=time(15, 0), key="gathering_ends")
        form.slot("starts_at")
        form.slot("ends_at")
        body["place"] = optional(st.text_input(t("field.place"), key="gathering_place"))
        form.slot("place")
        body["link"] = optional(st.text_input(t("field.link"), key="gathering_link"))
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
        body["starts_at"], body["ends_at"] = moment(day, starts), moment(day, ends)
        form.submit(lambda: apiclient.send(ctx.endpoint("events"), "POST", "/gatherings", body),
                    lambda g: t("done.gathering", title=md(g["title"])))


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
        held_on = st.date_input(t("field.held_on"), value=None, key="attendance_held_on", format="DD.MM.YYYY")
        form.slot("held_on")
        submitted = st.form_submit_button(t("action.hold"))
        form.general_slot()
    if submitted:
        body = {"attendees": [{"person_id": p, "role": "participant"} for p in attendees],
                "held_on": held_on.isoformat() if held_on else None}
        form.submit(lambda: apiclient.send(ctx.endpoint("events"), "POST", f"/gatherings/{chosen}/held", body),
                    lambda g: t("done.attendance", count=len(g.get("attendees", [])), title=md(g["title"])))


def communication_form(ctx: shell.Context, areas: list[dict]) -> None:
    form = FieldForm("communication")
    area_names = {a["id"]: a["name"] for a in areas}
    with st.form("register_communication"):
        body = {"channel": st.selectbox(t("field.channel"), [c.value for c in Channel], key="comm_channel",
                                        format_func=lambda c: t(f"channel.{c}"))}
        form.slot("channel")
        body["title"] = st.text_input(t("field.title"), key="comm_title")
        form.slot("title")
        body["link"] = optional(st.text_input(t("field.link"), key="comm_link"))
        form.slot("link")
        published = st.date_input(t("field.published_on"), key="comm_published", format="DD.MM.YYYY")
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
        body.update({"published_at": moment(published, time(12, 0)), "audience": {"everyone": everyone, "sectors": sectors},
                     "recipients": recipients, "views": views})
        form.submit(lambda: apiclient.send(ctx.endpoint("events"), "POST", "/communications", body),
                    lambda c: t("done.communication", title=md(c["title"])))
