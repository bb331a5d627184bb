"""A thaw: one per container, ever (the database refuses a second)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base
from tracker.lots.models import Container
from tracker.sites.models import AtSite


class Thaw(AtSite, Base):
    __tablename__ = "thaw"

    id: Mapped[int] = mapped_column(primary_key=True)
    thaw_id: Mapped[str] = mapped_column(String(16), unique=True)
    container_pk: Mapped[int] = mapped_column(ForeignKey("container.id"), unique=True)
    viable_cells_per_ml: Mapped[float]
    viability_percent: Mapped[float]
    volume_ml: Mapped[float]
    thawed_at: Mapped[dt.datetime]
    usable: Mapped[bool]
    reasons: Mapped[list[str]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[dt.datetime]

    container: Mapped[Container] = relationship(lazy="joined", innerjoin=True)
