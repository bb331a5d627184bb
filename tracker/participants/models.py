"""Enrolled participants and their code-breaks. A participant holds a code, never an arm."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base


class Participant(Base):
    __tablename__ = "participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[str] = mapped_column(String(40), unique=True)
    stratum: Mapped[str] = mapped_column(String(8))
    randomization_code: Mapped[str] = mapped_column(ForeignKey("randomization_code.code"), unique=True)
    randomized_at: Mapped[dt.datetime]
    enrolled_by: Mapped[str] = mapped_column(String(64))
    # Stroke onset as the investigator gave it; when present, the stratum was derived from it.
    onset_at: Mapped[dt.datetime | None]
    # The checklist as asked and answered at enrolment (each criterion's text, requirement, answer), if given.
    eligibility: Mapped[dict[str, Any] | None]


class CodeBreak(Base):
    """One emergency unblinding of one participant: who, when and why (the arm is not kept here)."""

    __tablename__ = "code_break"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_pk: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    broken_by: Mapped[str] = mapped_column(String(64))
    broken_at: Mapped[dt.datetime]
    reason: Mapped[str] = mapped_column(Text)
