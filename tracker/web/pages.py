"""Pages shared by every role: sign-in, sign-out and the home page that leads to each workspace."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from tracker.errors import TooManyAttempts, Unauthorized
from tracker.roles import ROLES, Actor
from tracker.translation import N_
from tracker.web.context import accounts, login_policy, reader, uow
from tracker.web.guard import client_address, requires
from tracker.web.security import is_local_path

bp = Blueprint("pages", __name__)

# Each role's workspaces on the home page: (title, endpoint, roles). Features add their pages here.
WORKSPACES: list[tuple[str, str, tuple[str, ...]]] = [
    (N_("Enrol a participant"), "participants_pages.enrol", ("investigator",)),
    (N_("Emergency code-break"), "participants_pages.code_break", ("investigator",)),
    (N_("Participants"), "participants_pages.index", ("investigator", "nurse")),
    (N_("Randomization lists"), "randomization_pages.status", ("statistician",)),
    (N_("Notifications"), "notifications_pages.index", ("qa", "admin")),
]


# In the user menu, not among the workspaces of the navigation bar.
USER_MENU_ENDPOINTS = ("users_pages.change_password",)


def workspace_links(actor: Actor) -> list[dict[str, str]]:
    """The person's workspaces in WORKSPACES order, as {title, endpoint, url}; unregistered routes left out,
    and those of the whole trial for a person bound to sites."""
    views = current_app.view_functions
    return [
        {"title": title, "endpoint": endpoint, "url": url_for(endpoint)}
        for title, endpoint, roles in WORKSPACES
        if actor.role in roles and endpoint in views
        and (actor.trial_wide or not getattr(views[endpoint], "trial_wide", False))
    ]  # fmt: skip


def _current(links: list[dict[str, str]]) -> dict[str, str] | None:
    """The link of the page shown: its own endpoint, else the workspace whose address is the longest prefix of
    the path (a lot's page belongs to the lots)."""
    for link in links:
        if link["endpoint"] == request.endpoint:
            return link
    inside = [link for link in links if request.path.startswith(link["url"].rstrip("/") + "/")]
    return max(inside, key=lambda link: len(link["url"]), default=None)


@bp.app_context_processor
def navigation() -> dict[str, Any]:
    """`nav_links` for base.html's navigation bar, computed from g.actor: each workspace with `current` set to
    "page" on the page itself, "true" on a page inside it, else None."""
    actor = g.get("actor") if has_request_context() else None
    if actor is None or actor.password_change_required:
        return {"nav_links": []}
    links = [link for link in workspace_links(actor) if link["endpoint"] not in USER_MENU_ENDPOINTS]
    current = _current(links)
    for link in links:
        exact = link is current and link["endpoint"] == request.endpoint
        link["current"] = "page" if exact else "true" if link is current else None
    return {"nav_links": links}


def _safe_next(target: str | None) -> str:
    if is_local_path(target):
        return target
    return url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            actor = accounts().check_password(
                uow(), request.form.get("username", ""), request.form.get("password", ""), login_policy(),
                client_address=client_address(),
            )  # fmt: skip
        except (Unauthorized, TooManyAttempts) as exc:
            error = exc
        else:
            token = accounts().begin_page_session(uow(), actor, login_policy())
            lang = session.get("lang")
            session.clear()  # a new session on sign-in: no fixation
            session.permanent = True
            session["session_token"] = token
            if lang:
                session["lang"] = lang
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if isinstance(error, Unauthorized) else 429 if error else 200
    first_run = not accounts().any_user_exists(reader())
    return render_template("login.html", error=error, first_run=first_run), status


@bp.post("/logout")
def logout():
    token = session.get("session_token")
    if token:
        accounts().end_page_session(uow(), token)  # a replayed copy of the cookie no longer signs anyone in
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("pages.login"))


@bp.get("/")
@requires(*ROLES)
def home():
    return render_template("home.html", actor=g.actor, workspaces=workspace_links(g.actor))
