"""The dashboard's entry point (`streamlit run ui/app.py`): page navigation and the shared top controls."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import streamlit as st
from pydantic import ValidationError

from ui import shell
from ui.i18n import t
from ui.settings import load_settings

log = logging.getLogger("kf.dashboard")
PAGES = Path(__file__).parent / "pages"
# file, stable URL path, title key, icon
PAGE_SPECS = (
    ("overview.py", "oversikt", "nav.overview", ":material/dashboard:"),
    ("goals.py", "maal", "nav.goals", ":material/flag:"),
    ("measures.py", "tiltak", "nav.measures", ":material/account_tree:"),
    ("network.py", "nettverk", "nav.network", ":material/hub:"),
    ("gatherings.py", "samlinger", "nav.gatherings", ":material/groups:"),
    ("register.py", "registrer", "nav.register", ":material/edit_note:"),
)


def main() -> None:
    st.set_page_config(page_title=t("app.title"), page_icon=":material/insights:", layout="wide")
    shell.begin_run()
    try:
        settings = load_settings()
    except ValidationError as exc:
        st.error(t("error.settings", problems="; ".join(f"KF_UI_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                                                         for e in exc.errors())))
        st.stop()
    pages = [st.Page(PAGES / file, title=t(title), url_path=url, icon=icon, default=(url == "oversikt"))
             for file, url, title, icon in PAGE_SPECS]
    navigation = st.navigation(pages)
    st.sidebar.caption(t("app.title"))
    shell.render_controls(settings)
    if shell.current().token is None:
        st.info(t("control.token_needed"), icon=":material/key:")
        st.stop()
    try:
        navigation.run()
    except Exception:  # noqa: BLE001 - the user gets an incident id; the traceback goes to the server log only
        incident = uuid.uuid4().hex[:12]
        log.exception("dashboard page failed (incident %s)", incident)
        st.error(t("error.unexpected", incident=incident), icon=":material/error:")


main()
