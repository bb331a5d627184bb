"""Randomization lists, their codes and the participants who hold them. The arm of a code lives apart, in
`allocation.py` only; a participant holds a code, never an arm.

The participant row is here, below the bag's path, because the pharmacy and the ward look participants up;
enrolling them and showing their record is the participants feature's business."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from tracker.db import Base
from tracker.sites.models import AtSite
from tracker.text import participant_key


class RandomizationList(Base):
    """One loaded list (generated or imported), with the salt and SHA-256 commitment over its rows."""

    __tablename__ = "randomization_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # "generated" or "imported"
    salt: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64), unique=True)
    code_count: Mapped[int]
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class RandomizationCode(Base):
    """A code of a list in its stratum; `position` is its place in the list (1-based). Never updated."""

    __tablename__ = "randomization_code"
    __table_args__ = (
        UniqueConstraint("list_id", "position", name="uq_randomization_code_list_position"),
        Index("ix_randomization_code_stratum_order", "stratum", "list_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # As the list's author wrote it (see rules.CODE_PATTERN); unique regardless of case (the index below).
    code: Mapped[str] = mapped_column(String(32), unique=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("randomization_list.id"))
    position: Mapped[int]
    stratum: Mapped[str] = mapped_column(String(8))


Index("uq_randomization_code_code_key", func.upper(RandomizationCode.code), unique=True)


class Participant(AtSite, Base):
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


# One participant per ID whatever its case: the ID is kept as first enrolled, compared in upper case.
Index("uq_participant_participant_key", func.upper(Participant.participant_id), unique=True)


def same_participant(column: InstrumentedAttribute[str], participant_id: str) -> ColumnElement[bool]:
    """`column` names the participant `participant_id` names, however either is cased or padded."""
    return func.upper(column) == participant_key(participant_id)


def same_code(column: InstrumentedAttribute[str], code: str) -> ColumnElement[bool]:
    """`column` holds the randomization code `code` names, however it is cased or padded (codes are kept as
    their list wrote them and unique regardless of case)."""
    return func.upper(column) == (code or "").strip().upper()
