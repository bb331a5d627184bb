"""Storage units, the moves of containers between them, and their temperature readings (one compact row per
reading, indexed by unit and time)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base
from tracker.sites.models import AtSite


class StorageUnit(AtSite, Base):
    __tablename__ = "storage_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The containers' `freezer` text names the unit by this ID (LN2-01).
    unit_id: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30))
    location: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    # The last reading a silence alarm was raised for (once per silence).
    silence_alarm_for: Mapped[dt.datetime | None]


class StorageMove(Base):
    """A container moved into a unit and position; its custody event is written beside it."""

    __tablename__ = "storage_move"
    __table_args__ = (Index("ix_storage_move_container", "container_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[str] = mapped_column(String(16))
    from_unit: Mapped[str] = mapped_column(String(40), index=True)
    to_unit: Mapped[str] = mapped_column(String(40), index=True)
    rack: Mapped[str] = mapped_column(String(40))
    box: Mapped[str] = mapped_column(String(48))
    position: Mapped[str] = mapped_column(String(8))
    at: Mapped[dt.datetime]
    username: Mapped[str] = mapped_column(String(64))


class TemperatureReading(Base):
    __tablename__ = "temperature_reading"
    __table_args__ = (Index("ix_temperature_reading_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("storage_unit.id"))
    at: Mapped[dt.datetime]
    temperature_c: Mapped[float] = mapped_column(Float)
    # Which import or post brought it (an audit event names the batch): 0 for none.
    batch: Mapped[int] = mapped_column(Integer, default=0)
