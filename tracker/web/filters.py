"""Template filters: times are stored in UTC and shown in the site's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask, current_app


def site_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SITE_TIMEZONE"])


def localtime(value: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.astimezone(site_zone()).strftime(fmt)


def register_filters(app: Flask) -> None:
    app.add_template_filter(localtime, "localtime")
