"""An adverse event observed at an infusion: what the bedside recorded, the sponsor clock of a serious one,
and the investigator's assessment. Nothing here differs by arm: an event names its infusion, its participant
and the bag at most (tracker/blinding.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base
from tracker.sites.models import AtSite


class AdverseEvent(AtSite, Base):
    __tablename__ = "adverse_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ae_id: Mapped[str] = mapped_column(String(16), unique=True)
    infusion_pk: Mapped[int] = mapped_column(ForeignKey("infusion.id"), index=True)
    participant_id: Mapped[str] = mapped_column(String(40), index=True)
    onset_at: Mapped[dt.datetime]
    description: Mapped[str] = mapped_column(Text)
    grade: Mapped[int] = mapped_column(Integer)
    serious: Mapped[bool] = mapped_column(Boolean)
    seriousness_criteria: Mapped[list[Any]] = mapped_column(JSON)
    actions_taken: Mapped[list[Any]] = mapped_column(JSON)
    treatment: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_by_role: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[dt.datetime]
    # A serious event's sponsor clock: due 24 hours after it was recorded, stopped by the report.
    report_due_at: Mapped[dt.datetime | None]
    sponsor_reported_at: Mapped[dt.datetime | None]
    sponsor_reported_by: Mapped[str | None] = mapped_column(String(64))
    sponsor_report_note: Mapped[str | None] = mapped_column(Text)
    # The investigator's assessment.
    causality: Mapped[str | None] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[dt.datetime | None]
    assessed_by: Mapped[str | None] = mapped_column(String(64))
    assessed_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime]
