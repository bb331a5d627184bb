"""One append-only custody event for a container or a bag: who, role, action, where, when."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base

SUBJECT_TYPES = ("container", "bag")


class CustodyEvent(Base):
    __tablename__ = "custody_event"
    __table_args__ = (Index("ix_custody_event_subject", "subject_type", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime]
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    seal_intact: Mapped[bool | None] = mapped_column(Boolean)
    temperature_c: Mapped[float | None] = mapped_column(Float)
