"""A shipment of whole kits from the manufacturing site to a site pharmacy, and its manifest."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base


class Shipment(Base):
    """`destination_site` is a free-text site code until sites exist (a later slice links it to them)."""

    __tablename__ = "shipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[str] = mapped_column(String(16), unique=True)
    from_site: Mapped[str] = mapped_column(String(120))
    destination_site: Mapped[str] = mapped_column(String(40))
    shipper_unit_id: Mapped[str | None] = mapped_column(String(40))
    courier: Mapped[str | None] = mapped_column(String(120))
    tracking_number: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(64))
    dispatched_at: Mapped[dt.datetime | None]
    dispatched_by: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[dt.datetime | None]
    received_by: Mapped[str | None] = mapped_column(String(64))
    minutes_out_of_range: Mapped[float | None] = mapped_column(Float)
    readings_count: Mapped[int | None]

    items: Mapped[list[ShipmentItem]] = relationship(
        back_populates="shipment", order_by="ShipmentItem.id", lazy="selectin"
    )


class ShipmentItem(Base):
    """A container on the manifest (`kit_no` groups a kit), or one received that was not on it (`extra`)."""

    __tablename__ = "shipment_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_pk: Mapped[int] = mapped_column(ForeignKey("shipment.id"), index=True)
    container_id: Mapped[str] = mapped_column(String(16))
    lot_number: Mapped[str | None] = mapped_column(String(40))
    kit_no: Mapped[int | None]
    on_manifest: Mapped[bool]
    received: Mapped[bool] = mapped_column(default=False)
    damaged: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)

    shipment: Mapped[Shipment] = relationship(back_populates="items")
