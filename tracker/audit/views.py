"""The audit trail page (qa, admin): newest first, 50 a page, filtered by time, user, action and record; each
event's before and after shown as the fields that changed. Its PDF and CSV (the reports page's routes)
carry the same filters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template, request
from flask_babel import gettext
from marshmallow import ValidationError

from tracker.audit import changes
from tracker.audit.rules import ENTITY_TYPES
from tracker.audit.schemas import AuditSearch
from tracker.audit.services import AuditFilter, read_audit_page
from tracker.audit.wording import AuditWords, action_word, field_label
from tracker.translation import N_
from tracker.web.context import reader
from tracker.web.filters import site_zone
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("audit_pages", __name__)
WORKSPACES.append((N_("Audit trail"), "audit_pages.search", ("qa", "admin")))
PAGE_SIZE = 50
ROLES = ("qa", "admin")
ENTITY_NAMES = {
    "lot": N_("lot"), "container": N_("container"), "participant": N_("participant"), "thaw": N_("thaw"),
    "bag": N_("bag"), "infusion": N_("infusion"), "scan": N_("scan"), "user": N_("user"),
    "study": N_("study"), "randomization_list": N_("randomization list"), "audit_trail": N_("audit trail"),
    "deviation": N_("deviation"), "adverse_event": N_("adverse event"), "storage_unit": N_("storage unit"),
    "shipment": N_("shipment"), "site": N_("site"),
}  # fmt: skip


def _search() -> tuple[dict[str, Any], dict[str, str], dict]:
    """(the loaded search, the filters as typed for links, problems)"""
    raw = {k: v.strip() for k, v in request.args.items() if v.strip()}
    typed = {k: v for k, v in raw.items() if k not in ("page", "upto", "after_seq", "limit")}
    try:
        return AuditSearch().load(raw), typed, {}
    except ValidationError as exc:
        return {}, typed, exc.messages


@bp.get("/audit")
@requires(*ROLES, trial_wide=True)
def search():
    query, typed, errors = _search()
    page = query.get("page", 1)
    flt = None if errors else AuditFilter(**_filter_fields(query), limit=PAGE_SIZE)
    head, actions, events, total = read_audit_page(
        reader(), g.actor, flt, offset=(page - 1) * PAGE_SIZE, upto_seq=query.get("upto")
    )
    upto = query.get("upto", head[0])
    zone = site_zone()
    rows = [_row(e, zone) for e in events]
    pages = max(1, -(-total // PAGE_SIZE))
    html = render_template(
        "audit/index.html", rows=rows, errors=errors, filters=typed, head=head, total=total, page=page,
        pages=pages, page_links=_page_links(page, pages), upto=upto, page_size=PAGE_SIZE, actions=actions,
        entity_types=ENTITY_TYPES, entity_names=ENTITY_NAMES, short_hash=changes.short_hash,
        action_word=action_word,
    )  # fmt: skip
    return html, (422 if errors else 200)


def _filter_fields(query: dict[str, Any]) -> dict[str, Any]:
    # The page counts pages newest first: the API's paging (after_seq, limit) does not apply.
    return {k: v for k, v in query.items() if k not in ("page", "upto", "after_seq", "limit")}


def _page_links(page: int, pages: int) -> list[int | None]:
    """The page numbers to offer: the first, the last and two either side of this one; None for a gap."""
    wanted = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links: list[int | None] = []
    for number in wanted:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


def _row(event: dict[str, Any], zone: Any) -> dict[str, Any]:
    words = AuditWords(gettext("yes"), gettext("no"))

    def shown(value: Any, field: str) -> dict[str, Any]:
        text = words.readable(value, zone, field)
        return {"text": text, "hash": changes.is_hash(text)}

    return {
        **event,
        "time": changes.local_time(event["at"], zone),
        "action_word": action_word(event["action"]),
        "changes": [
            {"field": field_label(c.field), "kind": c.kind, "before": shown(c.before, c.field),
             "after": shown(c.after, c.field)}
            for c in changes.changes(event["before"], event["after"])
        ],
    }  # fmt: skip
