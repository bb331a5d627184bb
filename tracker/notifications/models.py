"""Outbox rows: written in the same transaction as the event they report; `sent_at` set once e-mailed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(40))  # a role, or "sponsor"
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    # The site whose record it is about: its people only see it (tracker/sites/scope.py); none: the trial's.
    site_code: Mapped[str | None] = mapped_column(String(16), index=True)
