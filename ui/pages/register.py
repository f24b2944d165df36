"""Registrer / Register: coordinators' forms that post to the services' HTTP APIs; API errors sit by their field."""

from __future__ import annotations

import streamlit as st

from ui import data, shell
from ui.forms.gatherings import attendance_form, communication_form, gathering_form
from ui.forms.measures import effect_report_form, measure_form
from ui.forms.members import membership_form, organisation_form, person_form
from ui.i18n import t


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
