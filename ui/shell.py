"""What every page shares: the top controls (region, as-of date, language, token) and error-aware API reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import streamlit as st

from ui import apiclient
from ui.apiclient import ApiError, Endpoint, ServiceUnavailable
from ui.i18n import LANGUAGES, t
from ui.markup import md
from ui.settings import UiSettings, clean_token, load_settings

_SHOWN = "_kf_shown_problems"


@dataclass(frozen=True)
class Context:
    """The choices a page renders for: language, region, as-of date, and how to reach the services."""

    lang: str
    region: str
    as_of: date
    token: str | None
    settings: UiSettings
    token_from_settings: bool = False  # KF_UI_TOKEN, which only the operator can change

    def endpoint(self, service: str) -> Endpoint:
        return Endpoint(service, self.settings.url(service), self.token, self.settings.timeout_seconds)


def begin_run() -> None:
    """Forget which problems were shown, so each run names an unreachable service once."""
    st.session_state[_SHOWN] = set()


def render_controls(settings: UiSettings) -> None:
    """The row at the top of every page, and the token field in the sidebar when none is configured."""
    if st.session_state.get("region") not in settings.regions:
        st.session_state["region"] = settings.regions[0]
    st.session_state.setdefault("as_of", date.today())
    st.session_state.setdefault("lang", "nb")
    region_col, date_col, lang_col = st.columns([2, 2, 2])
    region_col.selectbox(t("control.region"), settings.regions, key="region")
    date_col.date_input(t("control.as_of"), key="as_of", format="DD.MM.YYYY")
    lang_col.radio(t("control.language"), list(LANGUAGES), key="lang", horizontal=True,
                   format_func=lambda code: LANGUAGES[code])
    if settings.token is None:
        st.sidebar.text_input(t("control.token"), key="token", type="password", help=t("control.token_help"))
        typed = st.session_state.get("token") or ""
        if typed.strip() and clean_token(typed) is None:
            st.sidebar.error(t("control.token_invalid"), icon=":material/key_off:")


def current() -> Context:
    settings = load_settings()
    if settings.token is not None:
        token, from_settings = settings.token.get_secret_value(), True
    else:
        token, from_settings = clean_token(st.session_state.get("token")), False
    as_of = st.session_state.get("as_of") or date.today()
    return Context(lang=st.session_state.get("lang", "nb"), region=st.session_state.get("region", settings.regions[0]),
                   as_of=as_of, token=token, settings=settings, token_from_settings=from_settings)


def is_down(service: str) -> bool:
    """Whether this run already found the service not answering (then its other reads are not tried)."""
    return ("down", service) in st.session_state.get(_SHOWN, set())


def report_problem(exc: Exception, ctx: Context | None = None) -> None:
    """Name what went wrong in the user's words, once per run and service; never a stack trace."""
    shown: set = st.session_state.setdefault(_SHOWN, set())
    if isinstance(exc, ServiceUnavailable):
        key = ("down", exc.service)
        if key not in shown:
            st.warning(t("error.unavailable", service=t(f"service.{exc.service}"), name=exc.service, url=exc.url,
                         reason=md(exc.reason)), icon=":material/cloud_off:")
    elif isinstance(exc, ApiError):
        key = ("refused", exc.service, exc.status)
        if key not in shown:
            if exc.status == 401 and ctx is not None and ctx.token_from_settings:
                st.warning(t("error.unauthenticated_configured", service=t(f"service.{exc.service}"),
                             message=md(exc.message)))
            elif exc.status == 401:
                st.warning(t("error.unauthenticated", service=t(f"service.{exc.service}"), message=md(exc.message)))
            elif exc.status == 403:
                st.warning(t("error.forbidden", service=t(f"service.{exc.service}"), message=md(exc.message)))
            else:
                st.warning(t("error.refused", service=t(f"service.{exc.service}"), status=exc.status,
                             message=md(exc.message)))
    else:
        raise exc
    shown.add(key)


def fetch(ctx: Context, service: str, path: str, *, refusals: list[ApiError] | None = None, **params: Any) -> Any | None:
    """A cached read; on failure the problem is shown and None returned, so the page shows what it can.

    A service that did not answer earlier in this run is not asked again (a hanging one would cost a timeout a read).
    With `refusals`, a refusal (4xx) is added to it for the page to explain in its own words instead of being shown.
    """
    if is_down(service):
        return None
    try:
        return apiclient.get(ctx.endpoint(service), path, **params)
    except ApiError as exc:
        if refusals is None:
            report_problem(exc, ctx)
        else:
            refusals.append(exc)
        return None
    except ServiceUnavailable as exc:
        report_problem(exc, ctx)
        return None


def fetch_items(ctx: Context, service: str, path: str, **params: Any) -> list[dict] | None:
    answer = fetch(ctx, service, path, **params)
    return None if answer is None else apiclient.items(answer)


def fetch_all(ctx: Context, service: str, path: str, *, page_size: int = 500, **params: Any) -> list[dict] | None:
    """Every item of a paged list (`limit`/`offset`), or None when the service cannot be read."""
    out: list[dict] = []
    offset = 0
    while True:
        answer = fetch(ctx, service, path, limit=page_size, offset=offset, **params)
        if answer is None:
            return None
        batch = apiclient.items(answer)
        out.extend(batch)
        total = answer.get("total") if isinstance(answer, dict) else None
        if not isinstance(answer, dict) or not batch or total is None or len(out) >= total:
            return out
        offset += len(batch)
