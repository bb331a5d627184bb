"""GET /healthz: what a load balancer and the person on call need to know, without a token and without a
secret (no address, path, key or user in it).

200 with `status` "ok", or "degraded" when something needs a look while the site still works (a lagging or
unreachable replica, whose reads then go to the primary; little disk left for SQLite; mail stuck in the
outbox when a mail server is set; an overdue audit checkpoint), with the reasons in `problems`;
503 "unavailable" only when the database itself cannot be reached. It sits beside the features, like the CLI,
because it reads several of them."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from tracker.audit import scheduling
from tracker.audit.checkpoints import last_checkpoint_at
from tracker.db import utcnow
from tracker.notifications.mail import smtp_settings
from tracker.notifications.models import Notification
from tracker.web.context import reader, state

bp = Blueprint("health", __name__)


def _sqlite_free_bytes(engine: Engine) -> int | None:
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return None
    folder = Path(engine.url.database).resolve().parent
    return shutil.disk_usage(folder).free


def _age_minutes(since: dt.datetime | None, now: dt.datetime) -> float | None:
    return None if since is None else round((now - since).total_seconds() / 60, 1)


@bp.get("/healthz")
def healthz() -> Any:
    config = current_app.config
    try:
        with reader() as work:
            session = work.session
            session.execute(text("SELECT 1"))
            unsent, oldest = session.execute(
                select(func.count(Notification.id), func.min(Notification.created_at))
                .where(Notification.sent_at.is_(None))
                .execution_options(all_sites=True)
            ).one()
            checkpoint_at = last_checkpoint_at(session)
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return jsonify({"status": "unavailable", "database": "unreachable"}), 503
    now = utcnow()
    problems: list[str] = []
    report: dict[str, Any] = {"status": "ok", "database": "ok"}

    oldest = oldest.replace(tzinfo=dt.UTC) if oldest is not None and oldest.tzinfo is None else oldest
    oldest_minutes = _age_minutes(oldest, now)
    # Without a mail server (no SMTP_HOST) notifications are read on their page, never sent: none is stuck.
    mail = smtp_settings(current_app) is not None
    report["outbox"] = {
        "unsent": unsent,
        "oldest_unsent_minutes": oldest_minutes,
        "mail": "on" if mail else "off",
    }
    if mail and oldest_minutes is not None and oldest_minutes > config["HEALTH_OUTBOX_MAX_MINUTES"]:
        problems.append("outbox")

    checkpoint_at = (
        checkpoint_at.replace(tzinfo=dt.UTC)
        if checkpoint_at is not None and checkpoint_at.tzinfo is None
        else checkpoint_at
    )
    age = None if checkpoint_at is None else round((now - checkpoint_at).total_seconds() / 3600, 2)
    report["audit_checkpoint"] = {
        "last_at": None if checkpoint_at is None else checkpoint_at.isoformat(),
        "age_hours": age,
        "scheduled": scheduling.scheduled(current_app),
    }
    # Scheduled checkpoints are written when one is AUDIT_CHECKPOINT_HOURS old: twice that is overdue.
    overdue = age is None or age > 2 * config["AUDIT_CHECKPOINT_HOURS"]
    if report["audit_checkpoint"]["scheduled"] and overdue:
        problems.append("audit_checkpoint")

    free = _sqlite_free_bytes(state().engine)
    if free is not None:
        low = free < config["HEALTH_MIN_FREE_MB"] * 1024 * 1024
        report["disk"] = {"free_mb": free // (1024 * 1024), "status": "low" if low else "ok"}
        if low:
            problems.append("disk")

    replica = state().replica
    if replica is not None:
        # Asked afresh: the person on call sees the replica as it is now, and reads follow the answer.
        checked = replica.check()
        report["replica"] = {
            "status": checked.status,
            "lag_seconds": checked.lag_seconds,
            "reads_from": "replica" if checked.usable else "primary",
        }
        if not checked.usable:
            problems.append("replica")

    if problems:
        report["status"] = "degraded"
        report["problems"] = problems
    return jsonify(report)
