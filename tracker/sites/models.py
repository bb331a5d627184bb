"""A site, and what makes a record belong to one (`SiteScoped`, read by tracker/sites/scope.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(64))


class SiteScoped:
    """A record a person of another site never sees: every ORM read of a site-bound person's request is
    narrowed by `site_filter` (tracker/sites/scope.py), so another site's record is simply not found."""

    SCOPED: ClassVar[list[type]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__tablename__" in cls.__dict__:
            SiteScoped.SCOPED.append(cls)

    @classmethod
    def site_filter(cls, codes: Sequence[str]) -> ColumnElement[bool]:
        raise NotImplementedError


class AtSite(SiteScoped):
    """A record of one site: a lot (where it was made), a container or a storage unit (where it is), a
    participant (where enrolled), and what hangs from them."""

    site_code: Mapped[str] = mapped_column(String(16), index=True)

    @classmethod
    def site_filter(cls, codes: Sequence[str]) -> ColumnElement[bool]:
        return cls.site_code.in_(codes)  # type: ignore[attr-defined]
