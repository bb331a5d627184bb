"""Randomization lists and their codes. The arm of a code lives apart, in `allocation.py` only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base


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
    code: Mapped[str] = mapped_column(String(16), unique=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("randomization_list.id"))
    position: Mapped[int]
    stratum: Mapped[str] = mapped_column(String(8))
