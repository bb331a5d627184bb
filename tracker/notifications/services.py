"""Queueing notifications inside a caller's transaction, listing them, and e-mailing the unsent ones."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.db import UnitOfWork, utcnow
from tracker.notifications.models import Notification

log = logging.getLogger(__name__)

AUDIENCES = ("qa", "sponsor", "statistician", "investigator", "gmp")


def queue_notification(
    session: Session, kind: str, audience: str, subject: str, body: str, *, site: str | None = None
) -> Notification:
    """Add to the outbox; committed (or rolled back) with the caller's change. Never an arm in it. `site`:
    the site whose record it names (only its people see it); none for news of the whole trial."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience}")
    note = Notification(
        kind=kind, audience=audience, subject=subject, body=body, created_at=utcnow(), site_code=site
    )
    session.add(note)
    return note


@dataclass(frozen=True)
class NotificationView:
    kind: str
    audience: str
    subject: str
    body: str
    created_at: dt.datetime
    sent_at: dt.datetime | None


def list_notifications(uow: UnitOfWork, limit: int = 500) -> list[NotificationView]:
    """The newest first."""
    with uow:
        notes = uow.session.execute(
            select(Notification).order_by(Notification.id.desc()).limit(limit)
        ).scalars()
        return [
            NotificationView(n.kind, n.audience, n.subject, n.body, n.created_at, n.sent_at) for n in notes
        ]


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    recipients: Mapping[str, tuple[str, ...]]  # audience -> addresses
    use_tls: bool = True
    username: str | None = None
    password: str | None = None


_SENDING = threading.Lock()  # one sender per process; a cron run in another process may rarely repeat a mail


def send_pending(uow: UnitOfWork, smtp: SmtpSettings, limit: int = 100) -> int:
    """E-mail unsent notifications that have recipients (at least once); returns how many were sent.

    No transaction is held while talking to the mail server: on SQLite that would stop every writer.
    """
    with _SENDING:
        with uow:
            pending = [
                (n.id, n.audience, n.subject, n.body)
                for n in uow.session.execute(
                    select(Notification)
                    .where(Notification.sent_at.is_(None))
                    .order_by(Notification.id)
                    .limit(limit)
                ).scalars()
            ]
        sent = 0
        for note_id, audience, subject, body in pending:
            recipients = smtp.recipients.get(audience, ())
            if not recipients:
                continue
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = smtp.sender, ", ".join(recipients), subject
            message.set_content(body)
            try:
                with smtplib.SMTP(smtp.host, smtp.port, timeout=20) as server:
                    if smtp.use_tls:
                        server.starttls()
                    if smtp.username:
                        server.login(smtp.username, smtp.password or "")
                    server.send_message(message)
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("notification %s not sent: %s", note_id, type(exc).__name__)
                break  # the server is unreachable: the rest stay queued for the next run
            with uow:
                uow.session.execute(
                    update(Notification)
                    .where(Notification.id == note_id, Notification.sent_at.is_(None))
                    .values(sent_at=utcnow())
                )
                uow.commit()
            sent += 1
        return sent
