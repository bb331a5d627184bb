"""The admin's account pages (/admin/users) and every user's own password page (/account/password)."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext

from tracker.audit.services import AuditFilter, read_events
from tracker.errors import DomainError, Invalid
from tracker.roles import ROLES
from tracker.sites import services as site_services
from tracker.translation import N_
from tracker.users import services
from tracker.web.context import login_policy, reader, uow
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES
from tracker.web.security import is_local_path

bp = Blueprint("users_pages", __name__)
ADMIN = ("admin",)
WORKSPACES.append((N_("People and accounts"), "users_pages.index", ADMIN))
WORKSPACES.append((N_("Change my password"), "users_pages.change_password", ROLES))

# The refusals these pages show, in the user's language (the API keeps the services' English sentences).
MESSAGES = {
    "last_admin": N_("This is the last active admin: add or enable another admin first."),
    "wrong_password": N_("Your password is wrong: nothing was changed."),
    "weak_password": N_("The new password is too weak:"),
    "user_exists": N_("A user with this user name already exists."),
    "user_not_found": N_("There is no such user."),
    "no_change": N_("The account already is so: nothing was changed."),
    "locked_out": N_("Too many wrong passwords: wait, or ask another admin to unlock you."),
    "validation_failed": N_("Some fields are missing or invalid:"),
}
# The account history's actions, as the page names them.
ACTIONS = (
    N_("create"), N_("update"), N_("disable"), N_("enable"), N_("reset_password"), N_("unlock"),
    N_("change_password"),
)  # fmt: skip
DONE = {
    "disable": N_("The account is disabled: its sessions and tokens ended."),
    "enable": N_("The account is enabled again."),
    "update": N_("The account is changed."),
}
FIELDS = {
    "username": N_("User name"), "full_name": N_("Full name"), "role": N_("Role"), "reason": N_("Reason"),
    "password": N_("Your password"), "new_password": N_("New password"), "_schema": N_("Form"),
    "current_password": N_("Current password"), "sites": N_("Sites"),
}  # fmt: skip


def _refusal(exc: DomainError) -> dict:
    message = MESSAGES.get(exc.code)
    return {
        "message": gettext(message) if message else exc.message,
        "details": {
            gettext(FIELDS.get(field, field)): [
                gettext(p) for p in (problems if isinstance(problems, list) else [problems])
            ]
            for field, problems in exc.details.items()
            if isinstance(problems, (list, str))
        },
    }


def _form(*names: str) -> dict:
    return {
        name: (request.form.get(name) or "").strip() for name in names if request.form.get(name) is not None
    }


def _history(username: str) -> list[dict]:
    events = read_events(reader(), g.actor, AuditFilter(entity_type="user", entity_id=username, limit=500))
    return [e for e in events if e["action"] not in ("sign_in", "sign_out")]


@bp.get("/admin/users")
@requires(*ADMIN, trial_wide=True)
def index():
    return _index_page()


def _index_page(
    error: dict | None = None, status: int = 200, form: dict | None = None, created: dict | None = None
):
    accounts = services.list_accounts(reader(), login_policy())
    return render_template(
        "users/index.html", accounts=accounts, roles=ROLES, error=error, form=form or {}, created=created,
        sites=site_services.list_sites(reader()),
    ), status  # fmt: skip


@bp.post("/admin/users")
@requires(*ADMIN, trial_wide=True)
def add():
    data = {**_form("username", "full_name", "role", "meaning"), "sites": request.form.getlist("sites")}
    try:
        account, password = services.add_user(
            uow(), g.actor, {**data, "password": request.form.get("password", "")}, login_policy()
        )
    except DomainError as exc:
        return _index_page(_refusal(exc), exc.status, data)
    # Shown once, on this answer only (pages are never cached); the URL never carries it.
    return _index_page(created={**account, "temporary_password": password}, status=201)


def _detail_page(
    username: str, error: dict | None = None, status: int = 200, done: str | None = None, temporary=None
):
    account = services.account_view(reader(), username, login_policy())
    return render_template(
        "users/detail.html", account=account, roles=ROLES, history=_history(account["username"]), error=error,
        done=done, temporary_password=temporary, sites=site_services.list_sites(reader()),
    ), status  # fmt: skip


@bp.get("/admin/users/<username>")
@requires(*ADMIN, trial_wide=True)
def detail(username: str):
    return _detail_page(username)


@bp.post("/admin/users/<username>")
@requires(*ADMIN, trial_wide=True)
def change(username: str):
    action = request.form.get("action", "")
    data = _form("reason", "meaning")
    if action == "disable":
        data["active"] = False
    elif action == "enable":
        data["active"] = True
    else:
        data.update(_form("role", "full_name"))
        data["sites"] = request.form.getlist("sites")
    try:
        services.update_user_signed(
            uow(), g.actor, username, {**data, "password": request.form.get("password", "")}, login_policy()
        )
    except DomainError as exc:
        return _detail_page(username, _refusal(exc), exc.status)
    return _detail_page(username, done=gettext(DONE.get(action, DONE["update"])))


@bp.post("/admin/users/<username>/password-reset")
@requires(*ADMIN, trial_wide=True)
def reset(username: str):
    data = {**_form("reason", "meaning"), "password": request.form.get("password", "")}
    try:
        password = services.reset_password_signed(uow(), g.actor, username, data, login_policy())
    except DomainError as exc:
        return _detail_page(username, _refusal(exc), exc.status)
    return _detail_page(username, done=gettext("The password is reset."), temporary=password)


@bp.post("/admin/users/<username>/unlock")
@requires(*ADMIN, trial_wide=True)
def unlock(username: str):
    try:
        services.unlock(uow(), g.actor, username, request.form.get("reason", ""))
    except DomainError as exc:
        return _detail_page(username, _refusal(exc), exc.status)
    return _detail_page(username, done=gettext("The account is unlocked: the user may sign in again now."))


@bp.route("/account/password", methods=["GET", "POST"])
@requires(*ROLES, before_password_change=True)
def change_password():
    target = request.values.get("next", "")
    target = target if is_local_path(target) else url_for("pages.home")
    error, status = None, 200
    if request.method == "POST":
        new_password = request.form.get("new_password", "")
        try:
            if new_password != request.form.get("confirm_password", ""):
                raise Invalid(
                    "The two new passwords differ", details={"new_password": [N_("the two entries differ")]}
                )
            services.change_own_password(
                uow(), g.actor, request.form.get("current_password", ""), new_password, login_policy()
            )
        except DomainError as exc:
            error, status = _refusal(exc), exc.status
        else:
            return redirect(target)
    return render_template("users/password.html", error=error, next=target), status
