"""Bags. The blinded bag is one table; what went into it (material, thaw, lot, draw) is another, read only for
the pharmacist, so that a blinded answer cannot even reach it by accident."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base
from tracker.pharmacy.rules import LIVE_STATUSES
from tracker.sites.models import AtSite

_LIVE = f"status IN ({', '.join(repr(s) for s in LIVE_STATUSES)})"


class Bag(AtSite, Base):
    __tablename__ = "bag"
    __table_args__ = (
        Index(
            "uq_bag_live_code",
            "randomization_code",
            unique=True,
            sqlite_where=text(_LIVE),
            postgresql_where=text(_LIVE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bag_id: Mapped[str] = mapped_column(String(16), unique=True)
    randomization_code: Mapped[str] = mapped_column(ForeignKey("randomization_code.code"), index=True)
    participant_id: Mapped[str] = mapped_column(String(40), index=True)
    qr_payload: Mapped[str] = mapped_column(String(64), unique=True)
    final_volume_ml: Mapped[float]
    prepared_at: Mapped[dt.datetime]
    use_by: Mapped[dt.datetime]
    prepared_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    quarantined: Mapped[bool] = mapped_column(default=False)
    location: Mapped[str] = mapped_column(String(120))
    print_count: Mapped[int] = mapped_column(default=0)
    voided_at: Mapped[dt.datetime | None]
    void_reason: Mapped[str | None] = mapped_column(Text)


class BagPreparation(Base):
    """The unblinded record of a bag: for the pharmacist's answers only."""

    __tablename__ = "bag_preparation"

    id: Mapped[int] = mapped_column(primary_key=True)
    bag_pk: Mapped[int] = mapped_column(ForeignKey("bag.id"), unique=True)
    material: Mapped[str] = mapped_column(String(20))
    lot_number: Mapped[str] = mapped_column(String(40))
    container_id: Mapped[str] = mapped_column(String(16))
    thaw_pk: Mapped[int | None] = mapped_column(ForeignKey("thaw.id"), index=True)
    drawn_volume_ml: Mapped[float | None]
    dose_viable_cells: Mapped[float]
    witness_username: Mapped[str | None] = mapped_column(String(64))
    witness_name: Mapped[str | None] = mapped_column(String(200))
    witnessed_at: Mapped[dt.datetime | None]
