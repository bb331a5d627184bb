"""An issue kit: containers that left the GMP lab's store together: when, by whom, to where."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base
from tracker.lots.models import Container
from tracker.sites.models import AtSite


class Kit(AtSite, Base):
    __tablename__ = "kit"

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_id: Mapped[str] = mapped_column(String(16), unique=True)
    location: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[dt.datetime]
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_by_role: Mapped[str] = mapped_column(String(20))

    contents: Mapped[list[KitContainer]] = relationship(
        back_populates="kit", order_by="KitContainer.id", lazy="selectin"
    )


class KitContainer(Base):
    """A container of a kit. A container is issued once, ever: the database refuses it in a second kit."""

    __tablename__ = "kit_container"

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_pk: Mapped[int] = mapped_column(ForeignKey("kit.id"), index=True)
    container_pk: Mapped[int] = mapped_column(ForeignKey("container.id"), unique=True)

    kit: Mapped[Kit] = relationship(back_populates="contents")
    container: Mapped[Container] = relationship(lazy="joined", innerjoin=True)
