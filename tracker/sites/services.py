"""Sites: adding and renaming them (an admin), the list, and the site a new record belongs to.

A person bound to some sites makes records at one of them; a person of the whole trial names the site when
there is more than one that fits. The site of a record never changes but for a container, whose site is
where it is (a shipment's receipt moves it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.audit.services import record_event
from tracker.db import UnitOfWork, one_writer_at_a_time, utcnow
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.roles import SYSTEM, Actor
from tracker.sites import rules
from tracker.sites.models import Site
from tracker.translation import N_

KIND_NAMES = {
    "manufacturing": N_("manufacturing (GMP lab)"),
    "clinical": N_("clinical (pharmacy and ward)"),
    "both": N_("manufacturing and clinical"),
}


def _view(site: Site) -> dict[str, Any]:
    return {
        "code": site.code, "name": site.name, "kind": site.kind,
        "created_at": site.created_at, "created_by": site.created_by,
    }  # fmt: skip


def _all(session: Session) -> list[Site]:
    return list(session.execute(select(Site).order_by(Site.code)).scalars())


def list_sites(uow: UnitOfWork) -> list[dict[str, Any]]:
    with uow:
        return [_view(s) for s in _all(uow.session)]


def site_names(session: Session) -> dict[str, str]:
    return {s.code: s.name for s in _all(session)}


def _find(session: Session, code: str) -> Site:
    site = session.execute(select(Site).where(Site.code == rules.normal_code(code))).scalar_one_or_none()
    if site is None:
        raise NotFound(N_("No site has the code %(site)s"), params={"site": code}, code="site_not_found")
    return site


def add_site(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    code = rules.normal_code(data["code"])
    if rules.bad_codes([code]):
        raise Invalid(
            "The site code is not valid",
            details={"code": ["1 to 16 capital letters, digits or dashes, starting with a letter or digit"]},
        )
    with uow:
        session = uow.session
        ensure_first_site(session)
        if session.execute(select(Site.id).where(Site.code == code)).first():
            raise Conflict(N_("A site with the code %(site)s exists already"), params={"site": code},
                           code="site_exists")  # fmt: skip
        site = Site(code=code, name=data["name"].strip(), kind=data["kind"], created_at=utcnow(),
                    created_by=actor.username)  # fmt: skip
        session.add(site)
        session.flush()
        record_event(session, actor, "create", "site", code, after={"name": site.name, "kind": site.kind})
        uow.commit()
        return _view(site)


def update_site(uow: UnitOfWork, actor: Actor, code: str, data: dict[str, Any]) -> dict[str, Any]:
    """Rename a site or change its kind (the first site of a one-site database becomes the trial's GMP lab
    or one of its hospitals)."""
    changes = {
        k: v.strip() if isinstance(v, str) else v
        for k, v in data.items() if k in ("name", "kind") and v is not None
    }  # fmt: skip
    if not changes:
        raise Invalid("Say what to change: name or kind", details={"_schema": ["nothing to change"]})
    with uow:
        session = uow.session
        site = _find(session, code)
        before = {"name": site.name, "kind": site.kind}
        after = {**before, **changes}
        if after == before:
            raise Conflict(N_("Site %(site)s already is so: nothing to change"), params={"site": site.code},
                           code="no_change")  # fmt: skip
        site.name, site.kind = after["name"], after["kind"]
        record_event(session, actor, "change_site", "site", site.code, before=before, after=after)
        uow.commit()
        return _view(site)


def known_sites(session: Session, codes: Sequence[str]) -> tuple[str, ...]:
    """The codes, once each, each of an existing site; else 422 naming the unknown ones."""
    codes = rules.parse_codes(codes)
    if codes:
        ensure_first_site(session)
    known = set(session.execute(select(Site.code).where(Site.code.in_(codes))).scalars()) if codes else set()
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise Invalid(
            N_("No site has the code %(site)s"), params={"site": ", ".join(unknown)},
            details={"sites": [f"unknown site {c}" for c in unknown]}, code="site_not_found",
        )  # fmt: skip
    return codes


def _usable(session: Session, actor: Actor, needed: tuple[str, ...] | None) -> list[Site]:
    """The sites of a kind in `needed` that the person works for (all of them for a person of the trial)."""
    return [
        s for s in _all(session)
        if rules.kind_fits(s.kind, needed) and actor.works_at(s.code)
    ]  # fmt: skip


def sites_for(uow: UnitOfWork, actor: Actor, needed: tuple[str, ...] | None) -> list[dict[str, Any]]:
    """What a form that makes a record offers the person: `_usable` as views."""
    with uow:
        return [_view(s) for s in _usable(uow.session, actor, needed)]


def ensure_first_site(session: Session) -> None:
    """A trial with no site yet gets the first one, SITE-01 (manufacturing and clinical), at its first record:
    a one-site trial never needs to name its site; a multi-site trial renames it and adds the others."""
    one_writer_at_a_time(session, "first-site")
    if session.execute(select(Site.id).limit(1)).first() is None:
        session.add(Site(code=rules.FIRST_SITE, name="Site 01", kind="both", created_at=utcnow(),
                         created_by=SYSTEM.username))  # fmt: skip
        session.flush()
        record_event(
            session, SYSTEM, "create", "site", rules.FIRST_SITE, after={"name": "Site 01", "kind": "both"}
        )


def choose_site(
    session: Session, actor: Actor, requested: str | None, needed: tuple[str, ...] | None, what: str
) -> str:
    """The site a new record of `what` (in the user's words, e.g. "the lot") belongs to: the one asked for,
    which must be among the person's sites and of a kind in `needed`; else the only one that fits."""
    ensure_first_site(session)
    mine = [s.code for s in _usable(session, actor, needed)]
    code = rules.normal_code(requested)
    if code:
        site = _find(session, code)
        if not actor.works_at(site.code):
            raise Forbidden(
                N_("You work for site(s) %(sites)s, not for %(site)s"),
                params={"sites": ", ".join(actor.sites), "site": site.code}, code="not_your_site",
            )  # fmt: skip
        if not rules.kind_fits(site.kind, needed):
            raise Invalid(
                N_("Site %(site)s cannot hold %(what)s: it is %(kind)s"),
                params={"site": site.code, "what": what, "kind": site.kind},
                details={"site": [f"a site of kind {' or '.join(needed or ())}"]},
            )  # fmt: skip
        return site.code
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise Invalid(
            N_("No site of yours can hold %(what)s"), params={"what": what},
            details={"site": [f"no site of kind {' or '.join(needed or ())} is yours"]},
        )  # fmt: skip
    raise Invalid(
        N_("Say at which site: %(sites)s"), params={"sites": ", ".join(mine)},
        details={"site": [f"one of {', '.join(mine)}"]},
    )  # fmt: skip


def site_of(session: Session, code: str) -> Site:
    return _find(session, code)
