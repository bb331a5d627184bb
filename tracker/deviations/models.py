"""A deviation: what went wrong, what it touches (public IDs of other records), its investigation, its CAPA
and QA's signed closure."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base
from tracker.sites.models import AtSite


class Deviation(AtSite, Base):
    """Links are public IDs, not foreign keys: this feature sits below lots, the pharmacy and the ward, and
    knows them only by name. `source_lot_number` and `source_container_id` are where a linked bag came from:
    unblinded (tracker/blinding.py)."""

    __tablename__ = "deviation"
    # An automatic trigger opens one deviation per category and record: a repeated call finds this one.
    __table_args__ = (UniqueConstraint("category", "trigger_type", "trigger_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deviation_id: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(30), index=True)
    lot_number: Mapped[str | None] = mapped_column(String(40))
    container_id: Mapped[str | None] = mapped_column(String(16))
    bag_id: Mapped[str | None] = mapped_column(String(16))
    participant_id: Mapped[str | None] = mapped_column(String(40))
    infusion_id: Mapped[str | None] = mapped_column(String(16))
    source_lot_number: Mapped[str | None] = mapped_column(String(40))
    source_container_id: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(20))  # manual | automatic
    source_action: Mapped[str | None] = mapped_column(String(60))
    trigger_type: Mapped[str | None] = mapped_column(String(30))
    trigger_id: Mapped[str | None] = mapped_column(String(40))
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_by_role: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime]
    investigation: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    corrective_action: Mapped[str | None] = mapped_column(Text)
    preventive_action: Mapped[str | None] = mapped_column(Text)
    capa_owner: Mapped[str | None] = mapped_column(String(200))
    capa_due_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]

    closure: Mapped[DeviationClosure | None] = relationship(lazy="selectin")


class DeviationClosure(Base):
    """QA's closing signature: printed name, UTC time and meaning (21 CFR 11.50); one per deviation."""

    __tablename__ = "deviation_closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    deviation_id: Mapped[int] = mapped_column(ForeignKey("deviation.id"), unique=True)
    username: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    signed_at: Mapped[dt.datetime]
    meaning: Mapped[str] = mapped_column(Text)
