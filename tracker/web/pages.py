"""Pages shared by every role: sign-in, sign-out and the home page that leads to each workspace."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for

from tracker.errors import TooManyAttempts, Unauthorized
from tracker.roles import ROLES
from tracker.translation import N_
from tracker.users import services
from tracker.web.context import login_policy, uow
from tracker.web.guard import requires
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


def _safe_next(target: str | None) -> str:
    if is_local_path(target):
        return target
    return url_for("pages.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            actor = services.check_password(
                uow(), request.form.get("username", ""), request.form.get("password", ""), login_policy()
            )
        except (Unauthorized, TooManyAttempts) as exc:
            error = exc.message
        else:
            session.clear()  # a new session on sign-in: no fixation
            session.permanent = True
            session["user_id"] = actor.user_id
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("login.html", error=error), status


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("pages.login"))


@bp.get("/")
@requires(*ROLES)
def home():
    links = [
        {"title": title, "url": url_for(endpoint)}
        for title, endpoint, roles in WORKSPACES
        if g.actor.role in roles and endpoint in current_app.view_functions
    ]
    return render_template("home.html", actor=g.actor, workspaces=links)
