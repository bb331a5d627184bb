"""Scans and infusions. A scan is kept whatever it answered; an infusion is unique per bag and per
participant, so that the database itself refuses a second one however many nurses press start at once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base
from tracker.sites.models import AtSite


class Scan(Base):
    __tablename__ = "scan"
    __table_args__ = (Index("ix_scan_bag_pk_id", "bag_pk", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[str] = mapped_column(String(16), unique=True)
    # The bag the label names once its signature checked out; None for unreadable or forged labels.
    bag_pk: Mapped[int | None] = mapped_column(ForeignKey("bag.id"))
    # The bag ID as read from the text, even when the signature did not check (for the investigation).
    scanned_bag_id: Mapped[str | None] = mapped_column(String(16))
    participant_id: Mapped[str] = mapped_column(String(40), index=True)
    result: Mapped[str] = mapped_column(String(30))  # "match" or the refusal's code
    at: Mapped[dt.datetime]
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))


class Infusion(AtSite, Base):
    __tablename__ = "infusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    infusion_id: Mapped[str] = mapped_column(String(16), unique=True)
    bag_pk: Mapped[int] = mapped_column(ForeignKey("bag.id"), unique=True)
    participant_id: Mapped[str] = mapped_column(String(40), unique=True)
    started_at: Mapped[dt.datetime]
    started_by: Mapped[str] = mapped_column(String(64))
    completed_at: Mapped[dt.datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(64))
    volume_infused_ml: Mapped[float | None]
    note: Mapped[str | None] = mapped_column(Text)
    # The second nurse of a two-person bedside check (when the study asks for one).
    cosigned_by: Mapped[str | None] = mapped_column(String(64))
    cosigner_name: Mapped[str | None] = mapped_column(String(200))
    cosigned_at: Mapped[dt.datetime | None]
    cosign_meaning: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime]
