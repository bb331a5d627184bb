"""E-mail delivery of the outbox: settings from the app config or environment, sent off the request thread."""

from __future__ import annotations

import os
import threading

from flask import Flask, current_app

from tracker.db import UnitOfWork
from tracker.notifications.services import AUDIENCES, SmtpSettings, send_pending


def _setting(app: Flask, name: str, default: str | None = None) -> str | None:
    return app.config.get(name) or os.environ.get(name) or default


def smtp_settings(app: Flask) -> SmtpSettings | None:
    """None when SMTP_HOST is not configured: notifications then stay in the outbox and on the QA page."""
    host = _setting(app, "SMTP_HOST")
    if not host:
        return None
    recipients = {
        audience: tuple(
            a.strip() for a in (_setting(app, f"NOTIFY_{audience.upper()}", "") or "").split(",") if a.strip()
        )
        for audience in AUDIENCES
    }
    return SmtpSettings(
        host=host,
        port=int(_setting(app, "SMTP_PORT", "587") or 587),
        sender=_setting(app, "SMTP_FROM", "tracker@localhost") or "tracker@localhost",
        recipients=recipients,
        use_tls=(_setting(app, "SMTP_STARTTLS", "1") or "1") not in ("0", "false", "no"),
        username=_setting(app, "SMTP_USERNAME"),
        password=_setting(app, "SMTP_PASSWORD"),
    )


def send_now(app: Flask) -> int:
    settings = smtp_settings(app)
    if settings is None:
        return 0
    return send_pending(UnitOfWork(app.extensions["tracker"].session_factory), settings)


def dispatch_in_background() -> None:
    """Send the outbox on a daemon thread so that a slow or absent mail server never holds up a request."""
    app = current_app._get_current_object()  # noqa: SLF001 - the thread needs the app, not the proxy
    if smtp_settings(app) is None:
        return
    thread = threading.Thread(target=send_now, args=(app,), name="notification-sender", daemon=True)
    running = [t for t in app.extensions.get("notification_threads", []) if t.is_alive()]
    app.extensions["notification_threads"] = [*running, thread]
    thread.start()
