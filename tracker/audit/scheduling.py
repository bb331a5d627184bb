"""Checkpoints without anyone remembering: when AUDIT_CHECKPOINT_DIR or NOTIFY_SPONSOR is set, a running app
writes a signed checkpoint whenever the last one is AUDIT_CHECKPOINT_HOURS old, saves it in the directory and
sends it to the sponsor through the notification outbox. A request looks at most every few minutes per process
and the work runs on a background thread; the trail's lock makes two processes write one checkpoint."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from pathlib import Path

from flask import Flask, Response

from tracker.audit.checkpoints import save_checkpoint, write_checkpoint
from tracker.db import UnitOfWork
from tracker.notifications.mail import send_now
from tracker.signing import load_signing_key

LOOK_EVERY_SECONDS = 300
log = logging.getLogger(__name__)


def scheduled(app: Flask) -> bool:
    return bool(app.config.get("AUDIT_CHECKPOINT_DIR") or app.config.get("NOTIFY_SPONSOR")
                or os.environ.get("NOTIFY_SPONSOR"))  # fmt: skip


def checkpoint_if_due(app: Flask) -> Path | dict | None:
    """Write a checkpoint when one is due; the saved file (or the document when no directory is set)."""
    key = load_signing_key(Path(app.config["AUDIT_SIGNING_KEY_FILE"]))
    every = dt.timedelta(hours=app.config["AUDIT_CHECKPOINT_HOURS"])
    uow = UnitOfWork(app.extensions["tracker"].session_factory, write=True)
    document = write_checkpoint(uow, key, app.config["SITE_NAME"], due_every=every)
    if document is None:
        return None
    directory = app.config.get("AUDIT_CHECKPOINT_DIR")
    send_now(app)
    return save_checkpoint(document, Path(directory)) if directory else document


def init_app(app: Flask) -> None:
    if not scheduled(app) or app.config.get("TESTING"):
        return
    next_look = [0.0]
    lock = threading.Lock()

    def look(response: Response) -> Response:
        now = time.monotonic()
        with lock:
            if now < next_look[0]:
                return response
            next_look[0] = now + LOOK_EVERY_SECONDS
        threading.Thread(target=_run, args=(app,), name="audit-checkpoint", daemon=True).start()
        return response

    app.after_request(look)


def _run(app: Flask) -> None:
    try:
        checkpoint_if_due(app)
    except Exception:  # a failed checkpoint must never break a request; the next look tries again
        log.exception("scheduled audit checkpoint failed")
