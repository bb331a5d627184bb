"""Code-breaks of enrolled participants (the participant row itself is in randomization/models.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base


class CodeBreak(Base):
    """One emergency unblinding of one participant: who, when and why (the arm is not kept here)."""

    __tablename__ = "code_break"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_pk: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    broken_by: Mapped[str] = mapped_column(String(64))
    broken_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(Text)
    # "emergency": an investigator's signed code-break; "safety": named by the system to the investigator
    # because a late QC result of the product's lot failed (patient safety overrides blinding).
    kind: Mapped[str] = mapped_column(String(20), default="emergency", server_default="emergency")
