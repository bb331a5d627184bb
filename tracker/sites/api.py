"""The sites API: every signed-in person may read the list (forms offer it); the admin adds and renames."""

from __future__ import annotations

from flask import g

from tracker.roles import ROLES
from tracker.sites import services
from tracker.sites.schemas import SiteChange, SiteIn, SiteList, SiteOut
from tracker.web.api import answer, api_blueprint, endpoint
from tracker.web.context import reader, uow

bp = api_blueprint("sites_api", __name__)


@endpoint(bp, "/sites", "GET", roles=ROLES, summary="The trial's sites", answers={200: SiteList})
def list_sites():
    return answer(SiteList(), {"items": services.list_sites(reader())})


@endpoint(bp, "/sites", "POST", roles=("admin",), trial_wide=True, body=SiteIn,
          summary="Add a site (manufacturing, clinical or both)", answers={201: SiteOut})  # fmt: skip
def add_site(body: dict):
    return answer(SiteOut(), services.add_site(uow(), g.actor, body), 201)


@endpoint(bp, "/sites/<code>", "PATCH", roles=("admin",), trial_wide=True, body=SiteChange,
          summary="Rename a site or change its kind", answers={200: SiteOut})  # fmt: skip
def change_site(code: str, body: dict):
    return answer(SiteOut(), services.update_site(uow(), g.actor, code, body))
