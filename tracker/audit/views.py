"""The audit search page (qa, admin): filter by entity and time, page through the events, export them."""

from __future__ import annotations

import json

from flask import Blueprint, g, render_template, request
from marshmallow import ValidationError

from tracker.audit.rules import ENTITY_TYPES
from tracker.audit.schemas import AuditQuery
from tracker.audit.services import AuditFilter, chain_head, list_events
from tracker.translation import N_
from tracker.web.context import reader
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("audit_pages", __name__)
WORKSPACES.append((N_("Audit trail"), "audit_pages.search", ("qa", "admin")))
PAGE_SIZE = 200


@bp.get("/audit")
@requires("qa", "admin")
def search():
    raw = {k: v.strip() for k, v in request.args.items() if v.strip()}
    errors, events, next_after = {}, [], None
    try:
        query = AuditQuery().load({"limit": PAGE_SIZE, **raw})
    except ValidationError as exc:
        errors = exc.messages
    else:
        with reader() as work:
            events = list_events(work.session, g.actor, AuditFilter(**query))
        next_after = events[-1]["seq"] if len(events) == query["limit"] else None
    with reader() as work:
        head = chain_head(work.session)
    filters = {k: v for k, v in raw.items() if k not in ("after_seq", "limit")}
    page = render_template(
        "audit/index.html", events=events, errors=errors, filters=filters, next_after=next_after, head=head,
        entity_types=ENTITY_TYPES, as_json=_as_json,
    )  # fmt: skip
    return page, (422 if errors else 200)


def _as_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
