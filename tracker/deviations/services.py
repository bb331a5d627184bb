"""Deviation use cases: raise by hand, raise automatically inside another feature's transaction (once per
trigger and record), move through investigation and CAPA, close with QA's signature, and read for the API,
the board and the deviation page. A blinded reader never gets a bag's source lot or container
(tracker/blinding.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker.audit.services import AuditFilter, chain_head, list_events, record_event
from tracker.blinding import blinded_view, is_unblinded
from tracker.checkchar import new_random_id
from tracker.db import Base, UnitOfWork, find_one, unused_id, utcnow
from tracker.deviations import rules
from tracker.deviations.models import Deviation, DeviationClosure
from tracker.errors import Conflict, Forbidden, Invalid, NotFound
from tracker.notifications.models import Notification
from tracker.notifications.services import queue_notification
from tracker.roles import Actor
from tracker.sites import rules as site_rules
from tracker.translation import N_
from tracker.users.services import LoginPolicy, reauthenticate

ID_PREFIX, ID_BODY = "D", 8
# What each link names: (table, column), read by name so that this feature imports none of theirs.
LINK_TABLES = {
    "lot_number": ("lot", "lot_number"),
    "container_id": ("container", "container_id"),
    "bag_id": ("bag", "bag_id"),
    "participant_id": ("participant", "participant_id"),
    "infusion_id": ("infusion", "infusion_id"),
}


# ---- reading -------------------------------------------------------------------------------------------


def _deviation(session: Session, deviation_id: str, *, lock: bool = False) -> Deviation:
    wanted = (deviation_id or "").strip().upper()
    missing = NotFound(
        N_("No deviation has the ID %(id)s"), params={"id": deviation_id}, code="deviation_not_found"
    )
    return find_one(session, select(Deviation).where(Deviation.deviation_id == wanted), missing, lock=lock)


def _record(deviation: Deviation) -> dict[str, Any]:
    """Every stored field, as the audit trail and an unblinded reader see it."""
    names = (
        "deviation_id", "title", "description", "category", "state", *rules.LINK_FIELDS,
        "source_lot_number", "source_container_id", "source", "source_action", "raised_by", "raised_by_role",
        "raised_at", "due_at", "investigation", "root_cause", *rules.CAPA_FIELDS,
    )  # fmt: skip
    return {name: getattr(deviation, name) for name in names}


def deviation_view(deviation: Deviation, role: str, now: dt.datetime) -> dict[str, Any]:
    """The deviation as `role` may see it."""
    data = _record(deviation)
    closure = deviation.closure
    data |= {
        "overdue": rules.is_overdue(deviation.state, deviation.due_at, now),
        "age_bucket": rules.age_bucket(deviation.raised_at, now),
        "updated_at": deviation.updated_at,
        "next_states": list(rules.TRANSITIONS[deviation.state]),
        "closure": None
        if closure is None
        else {
            "signed_by": closure.username,
            "signed_by_name": closure.full_name,
            "signed_at": closure.signed_at,
            "meaning": closure.meaning,
        },  # fmt: skip
    }
    return data if is_unblinded(role) else blinded_view("deviation", data)


def get_deviation(uow: UnitOfWork, actor: Actor, deviation_id: str) -> dict[str, Any]:
    with uow:
        return deviation_view(_deviation(uow.session, deviation_id), actor.role, utcnow())


def deviation_history(uow: UnitOfWork, actor: Actor, deviation_id: str) -> list[dict[str, Any]]:
    """The deviation's audit events as this reader may see them, oldest first."""
    with uow:
        deviation = _deviation(uow.session, deviation_id)
        flt = AuditFilter(entity_type="deviation", entity_id=deviation.deviation_id, limit=500)
        return list_events(uow.session, actor, flt)


def _filtered(state: str | None, category: str | None):
    query = select(Deviation).order_by(Deviation.raised_at, Deviation.id)
    if state:
        query = query.where(Deviation.state == state)
    if category:
        query = query.where(Deviation.category == category)
    return query


def list_deviations(
    uow: UnitOfWork,
    actor: Actor,
    *,
    state: str | None = None,
    category: str | None = None,
    overdue: bool | None = None,
) -> list[dict[str, Any]]:
    """Deviations oldest first, filtered by state, category and whether they are overdue."""
    with uow:
        now = utcnow()
        found = uow.session.execute(_filtered(state, category)).scalars()
        views = [deviation_view(d, actor.role, now) for d in found]
    return [v for v in views if overdue is None or v["overdue"] == overdue]


def board(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """QA's board: counts by state, the not-yet-closed by age bucket, and the overdue ones."""
    with uow:
        now = utcnow()
        by_state = dict.fromkeys(rules.STATES, 0)
        for state, count in uow.session.execute(
            select(Deviation.state, func.count()).group_by(Deviation.state)
        ):
            by_state[state] = count
        by_age = {name: 0 for name, _, _ in rules.AGE_BUCKETS}
        overdue = []
        not_closed = _filtered(None, None).where(Deviation.state != "closed")
        for deviation in uow.session.execute(not_closed).scalars():
            by_age[rules.age_bucket(deviation.raised_at, now)] += 1
            if rules.is_overdue(deviation.state, deviation.due_at, now):
                overdue.append(deviation_view(deviation, actor.role, now))
    return {"by_state": by_state, "by_age": by_age, "overdue": overdue}


# ---- raising -------------------------------------------------------------------------------------------


def _checked_links(session: Session, actor: Actor, links: dict[str, Any]) -> dict[str, str]:
    """The links as stored (IDs as the record keeps them); a link naming nothing, or a record of a site the
    person does not work for, answers 404."""
    found: dict[str, str] = {}
    for name, (table_name, column_name) in LINK_TABLES.items():
        value = (links.get(name) or "").strip()
        if not value:
            continue
        table = Base.metadata.tables[table_name]
        column = table.c[column_name]
        row = session.execute(
            select(column, table.c.site_code).where(func.upper(column) == value.upper())
        ).first()
        stored = None if row is None or not actor.works_at(row[1]) else row[0]
        if stored is None:
            raise NotFound(
                N_("No record has the ID %(value)s"), params={"value": value},
                code=f"{table_name}_not_found", details={name: [value]},
            )  # fmt: skip
        found[name] = stored
    return found


def _site_of(session: Session, actor: Actor, links: dict[str, str]) -> str:
    """A deviation belongs to the site of its most specific record (an infusion's, a bag's, ... a lot's);
    one linked to nothing to the site of the person who raised it."""
    for name in ("infusion_id", "bag_id", "container_id", "participant_id", "lot_number"):
        if links.get(name):
            table_name, column_name = LINK_TABLES[name]
            table = Base.metadata.tables[table_name]
            site = session.execute(
                select(table.c.site_code).where(table.c[column_name] == links[name])
            ).scalar()
            if site:
                return site
    return actor.sites[0] if actor.sites else site_rules.FIRST_SITE


def _insert(
    session: Session,
    actor: Actor,
    *,
    title: str,
    description: str,
    category: str,
    links: dict[str, str],
    source: str,
    source_action: str | None,
    due_at: dt.datetime | None,
    trigger: tuple[str, str] | tuple[None, None] = (None, None),
) -> Deviation:
    now = utcnow()
    if due_at is not None and due_at < now - dt.timedelta(minutes=1):
        raise Invalid(N_("The due date has passed"), details={"due_at": ["must not lie in the past"]})
    deviation = Deviation(
        site_code=_site_of(session, actor, links),
        deviation_id=unused_id(session, Deviation.deviation_id, lambda: new_random_id(ID_PREFIX, ID_BODY)),
        title=title, description=description, category=category, state="open",
        **rules.source_links(links),
        source=source, source_action=source_action, trigger_type=trigger[0], trigger_id=trigger[1],
        raised_by=actor.username, raised_by_role=actor.role, raised_at=now,
        due_at=due_at or rules.default_due(now), updated_at=now,
    )  # fmt: skip
    session.add(deviation)
    return deviation


def _refuse_unblinding_text(data: dict[str, Any], links: dict[str, str]) -> None:
    """Blinded readers see a bag deviation's title and description: they may not say what is in the bag
    (an arm word, or the lot or container it came from)."""
    if not links.get("bag_id"):
        return
    hidden = (links.get("lot_number"), links.get("container_id"))
    problems = {
        name: ["must not name the arm, lot or container of a bag: blinded staff read it"]
        for name in ("title", "description")
        if rules.unblinding_words(data.get(name) or "", hidden)
    }
    if problems:
        raise Invalid(
            N_("The text of a deviation on a bag must not say what is in the bag"),
            code="unblinding_text",
            details=problems,
        )


def raise_deviation(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> dict[str, Any]:
    """Raise a deviation by hand."""
    if actor.role not in rules.RAISERS:
        raise Forbidden(N_("Your role cannot raise a deviation"), code="forbidden")
    with uow:
        session = uow.session
        links = _checked_links(session, actor, data)
        _refuse_unblinding_text(data, links)
        deviation = _insert(
            session, actor, title=data["title"].strip(), description=data["description"].strip(),
            category=data["category"], links=links, source="manual", source_action=None,
            due_at=data.get("due_at"),
        )  # fmt: skip
        session.flush()
        record_event(session, actor, "raise", "deviation", deviation.deviation_id, after=_record(deviation))
        _notify_raised(session, deviation)
        uow.commit()
        return deviation_view(deviation, actor.role, utcnow())


def automatic_description(category: str, source_action: str, trigger: tuple[str, str]) -> str:
    """The sentence an automatic deviation carries: the trigger's action and record, nothing that differs
    by arm (no lot, container, material or dose)."""
    return f"Raised automatically by the {source_action} of {trigger[0]} {trigger[1]} ({category})."


def raise_automatic(
    session: Session,
    actor: Actor,
    category: str,
    links: dict[str, str],
    title: str,
    source_action: str,
) -> Deviation | None:
    """Open a deviation for a trigger inside the caller's transaction (no commit): once per category and
    record; a second call for the same trigger and record does nothing and gives None. Links are public IDs
    the caller has just read; a bag's lot or container is kept as its unblinded source."""
    if category not in rules.CATEGORIES:
        raise ValueError(f"unknown deviation category {category!r}")
    stored = {name: value for name, value in links.items() if name in rules.LINK_FIELDS and value}
    trigger = rules.trigger_of(stored)
    if stored.get("bag_id") and rules.unblinding_words(
        title, (stored.get("lot_number"), stored.get("container_id"))
    ):
        raise ValueError("an automatic deviation's title on a bag names no arm, lot or container")
    exists = select(Deviation.id).where(
        Deviation.category == category,
        Deviation.trigger_type == trigger[0],
        Deviation.trigger_id == trigger[1],
    )
    if session.execute(exists).first() is not None:
        return None
    try:
        # A savepoint: a concurrent twin refused by the unique constraint leaves the caller's work intact.
        with session.begin_nested():
            deviation = _insert(
                session, actor, title=title,
                description=automatic_description(category, source_action, trigger),
                category=category, links=stored, source="automatic", source_action=source_action,
                due_at=None, trigger=trigger,
            )  # fmt: skip
            session.flush()
    except IntegrityError:
        return None
    record_event(session, actor, "raise", "deviation", deviation.deviation_id, after=_record(deviation))
    _notify_raised(session, deviation)
    return deviation


# ---- investigating, CAPA and closing -------------------------------------------------------------------


def _refuse_closed(deviation: Deviation) -> None:
    if deviation.state == "closed":
        raise Conflict(
            N_("Deviation %(id)s is closed"), params={"id": deviation.deviation_id}, code="deviation_closed"
        )


def transition(
    uow: UnitOfWork, actor: Actor, deviation_id: str, target: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Move a deviation on, recording what the move brings (investigation text, root cause, CAPA)."""
    with uow:
        session = uow.session
        deviation = _deviation(session, deviation_id, lock=True)
        _refuse_closed(deviation)
        before = _record(deviation)
        given = {k: v for k, v in fields.items() if k in ("investigation", "root_cause", *rules.CAPA_FIELDS)}
        after_values = {**before, **{k: v for k, v in given.items() if v not in (None, "")}}
        blockers = rules.transition_blockers(deviation.state, target, after_values)
        if blockers == ["not_allowed"]:
            raise Conflict(
                N_("Deviation %(id)s cannot make this move from its present state"),
                params={"id": deviation.deviation_id},
                code="transition_not_allowed",
                details={"state": deviation.state, "allowed": list(rules.TRANSITIONS[deviation.state])},
            )
        if blockers:
            raise Invalid(
                N_("This step needs the investigation, the root cause and every CAPA field"),
                code="capa_incomplete",
                details={name: ["required for this step"] for name in blockers},
            )
        for name, value in given.items():
            if value not in (None, ""):
                setattr(deviation, name, value.strip() if isinstance(value, str) else value)
        deviation.state = target
        deviation.updated_at = utcnow()
        session.flush()
        after = _record(deviation)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        record_event(
            session, actor, "transition", "deviation", deviation.deviation_id,
            before={k: before[k] for k in changed}, after=changed,
        )  # fmt: skip
        uow.commit()
        return deviation_view(deviation, actor.role, utcnow())


def close(
    uow: UnitOfWork, actor: Actor, deviation_id: str, password: str, meaning: str | None, policy: LoginPolicy
) -> dict[str, Any]:
    """Close a deviation whose CAPA is defined, signed by QA (the password re-checked)."""
    meaning = (meaning or "").strip() or rules.DEFAULT_CLOSE_MEANING
    with uow:
        _deviation(uow.session, deviation_id)  # an unknown deviation is 404 without spending a password try
    reauthenticate(uow, actor, password, policy)
    with uow:
        session = uow.session
        deviation = _deviation(session, deviation_id, lock=True)
        _refuse_closed(deviation)
        blockers = rules.close_blockers(deviation.state, _record(deviation))
        if blockers:
            raise Conflict(
                N_("Only a deviation whose CAPA is defined can be closed"),
                code="transition_not_allowed",
                details={"state": deviation.state, "missing": [b for b in blockers if b != "not_allowed"]},
            )
        now = utcnow()
        before = deviation.state
        deviation.state, deviation.updated_at = "closed", now
        session.add(
            DeviationClosure(
                deviation_id=deviation.id, username=actor.username, full_name=actor.full_name,
                role=actor.role, signed_at=now, meaning=meaning,
            )
        )  # fmt: skip
        session.flush()
        record_event(
            session, actor, "close", "deviation", deviation.deviation_id,
            before={"state": before},
            after={
                "state": "closed", "signed_by": actor.username, "signed_by_name": actor.full_name,
                "signed_at": now, "meaning": meaning,
            },
        )  # fmt: skip
        uow.commit()
        session.refresh(deviation)
        return deviation_view(deviation, actor.role, utcnow())


# ---- notifications and the log -------------------------------------------------------------------------

NOTIFY_AUDIENCE = "qa"
_LINK_WORDS = {
    "lot_number": "lot", "container_id": "container", "bag_id": "bag", "participant_id": "participant",
    "infusion_id": "infusion",
}  # fmt: skip


def _notice_lines(deviation: Deviation) -> list[str]:
    """What a notification says of a deviation: only what every blinded reader may see (never a bag's source
    lot or container), and its title only when it names no arm word (a title on no bag is not checked)."""
    view = blinded_view("deviation", _record(deviation))
    lines = [f"Deviation {deviation.deviation_id} ({deviation.category})"]
    if not rules.unblinding_words(deviation.title):
        lines.append(f"Title: {deviation.title}")
    links = [f"{word} {view[name]}" for name, word in _LINK_WORDS.items() if view.get(name)]
    if links:
        lines.append("About: " + ", ".join(links))
    how = "automatically" if deviation.source == "automatic" else "by hand"
    who = f"{deviation.raised_by} ({deviation.raised_by_role})"
    lines.append(f"Raised {how} by {who} at {deviation.raised_at.isoformat()}")
    if deviation.source_action:
        lines.append(f"Trigger: {deviation.source_action}")
    lines.append(f"Due: {deviation.due_at.isoformat()}")
    lines.append("Open the deviation board (/deviations) to investigate it.")
    return lines


def _notify_raised(session: Session, deviation: Deviation) -> None:
    """Tell QA, in the raising transaction, that a deviation was raised (by hand or automatically)."""
    queue_notification(
        session, "deviation_raised", NOTIFY_AUDIENCE, f"Deviation {deviation.deviation_id} raised",
        "\n".join(_notice_lines(deviation)), site=deviation.site_code,
    )  # fmt: skip


def overdue_subject(deviation: Deviation) -> str:
    """One subject per deviation and due date: the key that makes the overdue notice go out once."""
    return f"Deviation {deviation.deviation_id} is overdue (due {deviation.due_at:%Y-%m-%d %H:%M} UTC)"


def notify_overdue(uow: UnitOfWork, now: dt.datetime | None = None) -> list[str]:
    """Queue a `deviation_overdue` notification to QA for each overdue deviation not yet notified for its
    due date; the IDs notified now. Safe to run again and from two schedulers at once (the overdue rows are
    locked while the outbox is checked)."""
    with uow:
        session = uow.session
        now = now or utcnow()
        overdue = (
            select(Deviation)
            .where(Deviation.state != "closed", Deviation.due_at < now)
            .order_by(Deviation.due_at, Deviation.id)
            .with_for_update()
        )
        notified = []
        for deviation in session.execute(overdue).scalars():
            subject = overdue_subject(deviation)
            sent = select(Notification.id).where(
                Notification.kind == "deviation_overdue", Notification.subject == subject
            )
            if session.execute(sent).first() is not None:
                continue
            state = STATE_WORDS.get(deviation.state, deviation.state)
            late = "It is past its due date: investigate, define the CAPA or close it."
            body = "\n".join([*_notice_lines(deviation)[:-1], f"State: {state}", late])
            queue_notification(
                session, "deviation_overdue", NOTIFY_AUDIENCE, subject, body, site=deviation.site_code
            )
            notified.append(deviation.deviation_id)
        uow.commit()
    return notified


STATE_WORDS = {"open": "open", "under_investigation": "under investigation", "capa_defined": "CAPA defined"}


def deviation_log(uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """Every deviation, oldest first, as this reader may see it, with the record that triggered it, and the
    audit chain head read in the same transaction (the log's provenance)."""
    with uow:
        session = uow.session
        now = utcnow()
        seq, digest = chain_head(session)
        items = []
        for deviation in session.execute(_filtered(None, None)).scalars():
            view = deviation_view(deviation, actor.role, now)
            view["trigger_type"], view["trigger_id"] = deviation.trigger_type, deviation.trigger_id
            items.append(view)
    return {
        "generated_at": now, "generated_by": actor.username, "audit_head": {"seq": seq, "hash": digest},
        "items": items,
    }  # fmt: skip
