"""Forms of the membership service: organisations, people and group memberships."""

from __future__ import annotations

import streamlit as st

from kf.contracts.membership import GroupRole, RoleKind, Sector
from ui import apiclient, shell
from ui.components import FieldForm
from ui.forms import optional
from ui.i18n import t
from ui.markup import md


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
        body["municipality"] = optional(st.text_input(t("field.municipality"), key="org_municipality"))
        form.slot("municipality")
        submitted = st.form_submit_button(t("action.register"))
        form.general_slot()
    if submitted:
        form.submit(lambda: apiclient.send(ctx.endpoint("membership"), "POST", "/organisations", body),
                    lambda org: t("done.organisation", name=md(org["name"])))


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
        body["title"] = optional(st.text_input(t("field.job_title"), key="person_title"))
        form.slot("title")
        submitted = st.form_submit_button(t("action.register"))
        form.general_slot()
    if submitted:
        form.submit(lambda: apiclient.send(ctx.endpoint("membership"), "POST", "/people", body),
                    lambda person: t("done.person", name=md(person.get("name"))))


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
        body["joined_on"] = st.date_input(t("field.joined_on"), key="member_joined_on", format="DD.MM.YYYY").isoformat()
        form.slot("joined_on")
        submitted = st.form_submit_button(t("action.register"))
        form.general_slot()
    if submitted:
        form.submit(lambda: apiclient.send(ctx.endpoint("membership"), "POST", "/memberships", body),
                    lambda _: t("done.membership", name=md(names.get(body["person_id"]))))
