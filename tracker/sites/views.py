"""The admin's sites page (/admin/sites): the trial's sites, adding one, renaming one."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask_babel import gettext

from tracker.errors import DomainError, NotFound
from tracker.sites import rules, services
from tracker.sites.schemas import SiteChange, SiteIn
from tracker.translation import N_
from tracker.web.context import reader, uow
from tracker.web.forms import FormRefused, form_data, load_form, refusal
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("sites_pages", __name__)
ADMIN = ("admin",)
WORKSPACES.append((N_("Sites"), "sites_pages.index", ADMIN))


def _page(error=None, details=None, status: int = 200, done: str | None = None):
    return render_template(
        "sites/index.html", sites=services.list_sites(reader()), kinds=rules.KINDS,
        kind_names=services.KIND_NAMES, error=error, details=details or {}, form=request.form, done=done,
    ), status  # fmt: skip


@bp.app_context_processor
def _site_choices() -> dict:
    """`site_choices(kind)` for forms that make a record ("makes" or "treats"): the person's sites of that
    kind (templates/sites/_field.html asks only when there is more than one)."""

    def site_choices(kind: str) -> list[dict]:
        actor = g.get("actor")
        if actor is None:
            return []
        return services.sites_for(reader(), actor, rules.MAKES if kind == "makes" else rules.TREATS)

    return {"site_choices": site_choices}


@bp.get("/admin/sites")
@requires(*ADMIN, trial_wide=True)
def index():
    return _page()


@bp.post("/admin/sites")
@requires(*ADMIN, trial_wide=True)
def add():
    try:
        site = services.add_site(
            uow(), g.actor, load_form(SiteIn, form_data(request.form, ("code", "name", "kind")))
        )
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _page(message, details, status)
    return _page(done=gettext("Site %(site)s is added.", site=site["code"]), status=201)


@bp.post("/admin/sites/<code>")
@requires(*ADMIN, trial_wide=True)
def change(code: str):
    try:
        site = services.update_site(
            uow(), g.actor, code, load_form(SiteChange, form_data(request.form, ("name", "kind")))
        )
    except NotFound:
        raise  # the error page, as for every record that does not exist
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _page(message, details, status)
    return _page(done=gettext("Site %(site)s is changed.", site=site["code"]))
