"""`requires(role, ...)`: the one guard every route passes, for bearer-token API calls and page sessions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, redirect, request, session, url_for

from tracker.errors import Forbidden, Unauthorized
from tracker.roles import ROLES, Actor
from tracker.users.services import get_actor, resolve_token
from tracker.web.context import lookup, reader

PUBLIC = ()  # roles=PUBLIC marks a route that needs no sign-in


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _api_actor() -> Actor:
    token = bearer_token()
    if token is None:
        raise Unauthorized("Send a bearer token: Authorization: Bearer TOKEN", code="missing_token")
    return resolve_token(lookup(), token)


def _page_actor() -> Actor | None:
    user_id = session.get("user_id")
    return get_actor(reader(), user_id) if user_id else None


def requires(*roles: str) -> Callable:
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
                if actor.role not in roles:
                    raise Forbidden("Your role may not do this", code="wrong_role")
                g.actor = actor
            return view(*args, **kwargs)

        guarded.required_roles = roles  # read by the role-matrix test and the OpenAPI document
        return guarded

    return decorate
