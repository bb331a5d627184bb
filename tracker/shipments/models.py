"""A shipment of whole kits from the manufacturing site to a site pharmacy, and its manifest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Float, ForeignKey, String, Text, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base
from tracker.sites.models import SiteScoped


class Shipment(SiteScoped, Base):
    """From the manufacturing site `from_site` to the clinical site `destination_site` (site codes): seen by
    the people of either."""

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

    @classmethod
    def site_filter(cls, codes: Sequence[str]) -> ColumnElement[bool]:
        return or_(cls.from_site.in_(codes), cls.destination_site.in_(codes))

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
