"""The periodic access review (21 CFR 11.10(d), EU Annex 11 §12): every account as it is now, and every
change to an account in a period, from the audit trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tracker.audit.services import AuditFilter, iter_events
from tracker.db import UnitOfWork, utcnow
from tracker.roles import Actor
from tracker.users.services import LoginPolicy, list_accounts

# What an access review lists as a change; sign-ins and sign-outs are activity, shown as the last sign-in.
CHANGES = ("create", "update", "disable", "enable", "reset_password", "unlock", "change_password")
DEFAULT_PERIOD = dt.timedelta(days=90)


def access_review(
    uow: UnitOfWork,
    actor: Actor,
    policy: LoginPolicy,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> dict[str, Any]:
    now = utcnow()
    until = until or now
    since = since or until - DEFAULT_PERIOD
    accounts = list_accounts(uow, policy)
    with uow:
        events = iter_events(
            uow.session, actor, AuditFilter(entity_type="user", since=since, until=until, limit=10**9)
        )
        changes = [
            {
                "at": e["at"], "username": e["entity_id"], "action": e["action"], "by": e["user"],
                "by_role": e["role"], "before": _describe(e["before"]), "after": _describe(e["after"]),
                "reason": e["reason"] or "",
                # the same states field by field, for a report that puts them in the reader's words
                "before_fields": _shown(e["before"]), "after_fields": _shown(e["after"]),
            }
            for e in events
            if e["action"] in CHANGES
        ]  # fmt: skip
    return {"since": since, "until": until, "generated_at": now, "accounts": accounts, "changes": changes}


def _describe(state: dict[str, Any] | None) -> str:
    """An account's state in one line: role, name, active (never a password)."""
    return ", ".join(f"{k}={v}" for k, v in _shown(state).items())


def _shown(state: dict[str, Any] | None) -> dict[str, Any]:
    fields = ("role", "full_name", "enabled", "password_change_required")
    return {k: state[k] for k in fields if k in state} if state else {}
