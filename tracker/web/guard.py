"""`requires(role, ...)`: the one guard every route passes, for bearer-token API calls and page sessions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, redirect, request, session, url_for

from tracker.errors import Forbidden, Unauthorized
from tracker.roles import ROLES, Actor
from tracker.web.context import accounts, lookup

PUBLIC = ()  # roles=PUBLIC marks a route that needs no sign-in


# Paths answered to bearer tokens, never to page sessions: the JSON API and the FHIR API (tracker/fhir).
API_PREFIXES = ("/api/", "/fhir/")


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIXES)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address() -> str:
    """Where the request came from: the peer, or the address a configured trusted proxy forwarded
    (TRUSTED_PROXY_HOPS; werkzeug's ProxyFix rewrites remote_addr only then)."""
    return (request.remote_addr or "")[:64]


def _api_actor() -> Actor:
    token = bearer_token()
    if token is None:
        raise Unauthorized("Send a bearer token: Authorization: Bearer TOKEN", code="missing_token")
    return accounts().resolve_token(lookup(), token)


def _page_actor() -> Actor | None:
    token = session.get("session_token")
    return accounts().resolve_page_session(lookup(), token) if token else None


def requires(*roles: str, before_password_change: bool = False, trial_wide: bool = False) -> Callable:
    """Only these roles pass. Until a one-time password is changed only routes marked
    `before_password_change` are open: the API answers 403 `password_change_required`, pages lead to the
    change form. A `trial_wide` route (the audit trail, accounts, sites, randomization lists) is for people
    who work for the whole trial: one bound to some sites gets 403 `trial_wide_only`."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles in guard: {unknown}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if roles:
                if is_api_request():
                    actor = _api_actor()
                else:
                    actor = _page_actor()
                    if actor is None:
                        session.clear()
                        return redirect(url_for("pages.login", next=request.full_path))
                g.actor = actor
                if actor.password_change_required and not before_password_change:
                    if not is_api_request():
                        return redirect(url_for("users_pages.change_password", next=request.full_path))
                    raise Forbidden(
                        "Change your one-time password first (POST /api/v1/auth/password)",
                        code="password_change_required",
                    )
                if actor.role not in roles:
                    raise Forbidden("Your role may not do this", code="wrong_role")
                if trial_wide and not actor.trial_wide:
                    raise Forbidden(
                        "This is kept for people who work for the whole trial; your account is for site(s) "
                        + ", ".join(actor.sites),
                        code="trial_wide_only",
                    )
            return view(*args, **kwargs)

        guarded.required_roles = roles  # read by the role-matrix test and the OpenAPI document
        guarded.trial_wide = trial_wide
        return guarded

    return decorate
