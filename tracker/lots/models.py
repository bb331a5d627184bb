"""Lots, their containers, QC results (append-only) and the Part 11 signatures on a lot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
)  # fmt: skip
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base
from tracker.sites.models import AtSite


class Lot(AtSite, Base):
    __tablename__ = "lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_number: Mapped[str] = mapped_column(String(40), unique=True)
    material: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    manufactured_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    container_count: Mapped[int] = mapped_column(Integer)
    volume_ml_per_container: Mapped[float] = mapped_column(Float)
    cells_per_container: Mapped[float | None] = mapped_column(Float)
    donor_code: Mapped[str | None] = mapped_column(String(40))
    cell_bank: Mapped[str | None] = mapped_column(String(40))
    passage: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(64))

    @classmethod
    def site_filter(cls, codes: Sequence[str]) -> ColumnElement[bool]:
        """Made at one of these sites, or with a container there now: a hospital reads the lot of what it
        received (its number, material and expiry)."""
        there = select(Container.lot_id).where(Container.site_code.in_(codes))
        return or_(cls.site_code.in_(codes), cls.id.in_(there))

    containers: Mapped[list[Container]] = relationship(
        back_populates="lot", order_by="Container.id", lazy="selectin"
    )
    qc_results: Mapped[list[QcResult]] = relationship(order_by="QcResult.id", lazy="selectin")
    signatures: Mapped[list[LotSignature]] = relationship(order_by="LotSignature.id", lazy="selectin")
    follow_ups: Mapped[list[LotFollowUp]] = relationship(order_by="LotFollowUp.id", lazy="selectin")


class Container(AtSite, Base):
    __tablename__ = "container"
    __table_args__ = (Index("ix_container_box", "freezer", "rack", "box"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    container_id: Mapped[str] = mapped_column(String(16), unique=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"), index=True)
    # tracker.custody.rules.CONTAINER_STATUSES. SQLite ignores a VARCHAR's length and its table keeps the
    # 20 it was made with: rebuilding a table that thaws point at is refused under foreign keys.
    status: Mapped[str] = mapped_column(String(30).with_variant(String(20), "sqlite"))
    freezer: Mapped[str] = mapped_column(String(40))
    rack: Mapped[str] = mapped_column(String(40))
    box: Mapped[str] = mapped_column(String(48))  # a lot number and a box suffix
    position: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime]

    lot: Mapped[Lot] = relationship(back_populates="containers", lazy="joined", innerjoin=True)


class QcResult(Base):
    """Never updated: a repeat or a correction is a new row, and the latest row of a test counts."""

    __tablename__ = "qc_result"
    __table_args__ = (Index("ix_qc_result_lot_test", "lot_id", "test", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    test: Mapped[str] = mapped_column(String(40))
    value_number: Mapped[float | None] = mapped_column(Float)
    value_word: Mapped[str | None] = mapped_column(String(80))
    unit: Mapped[str | None] = mapped_column(String(20))
    specification: Mapped[str] = mapped_column(String(120))  # as the study defined it when entered
    passed: Mapped[bool] = mapped_column(Boolean)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("qc_result.id"))
    is_correction: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_by_name: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[dt.datetime]

    @property
    def value(self) -> float | str:
        return self.value_number if self.value_number is not None else self.value_word


class LotSignature(Base):
    """A release, rejection or recall: printed name, UTC time and meaning (21 CFR 11.50).
    One of each per lot, enforced by the database as well as by the lot's status."""

    __tablename__ = "lot_signature"
    __table_args__ = (UniqueConstraint("lot_id", "action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    action: Mapped[str] = mapped_column(String(20))
    username: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    signed_at: Mapped[dt.datetime]
    meaning: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)


class LotFollowUp(Base):
    """A QC test still pending when the lot was released (the study allowing it): `pending` until its late
    result, then `passed` (the follow-up closes) or `failed` (a deviation and the affected list)."""

    __tablename__ = "lot_follow_up"
    __table_args__ = (UniqueConstraint("lot_id", "test"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id"))
    test: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]
    result_id: Mapped[int | None] = mapped_column(ForeignKey("qc_result.id"))
    deviation_id: Mapped[str | None] = mapped_column(String(16))
