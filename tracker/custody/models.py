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


class ContainerQuarantine(Base):
    """A container held in the lab's store after a temperature excursion of its storage unit, until QA's
    signed decision (`release` or `destroy`). Open while `decision` is None; one open per container."""

    __tablename__ = "container_quarantine"
    __table_args__ = (Index("ix_container_quarantine_container", "container_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[str] = mapped_column(String(40))
    excursion_start: Mapped[dt.datetime]
    excursion_end: Mapped[dt.datetime]
    deviation_id: Mapped[str | None] = mapped_column(String(16))
    previous_status: Mapped[str] = mapped_column(String(30))
    quarantined_at: Mapped[dt.datetime]
    decision: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    meaning: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None]
