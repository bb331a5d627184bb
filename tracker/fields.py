"""Marshmallow fields, and the error detail, shared by every feature's schemas (below the web edge)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from marshmallow import Schema, fields

from tracker.text import scanner_text


class ScannerText(fields.String):
    """What a keyboard-wedge scanner typed (a label's QR payload, a wristband): the spaces, CR and LF around
    it are dropped before anything else looks at it (the control-character check of `load_body` included)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return scanner_text(super()._deserialize(value, attr, data, **kwargs))


class DayOrTime(fields.Field):
    """A time as people type it in a search: a full ISO 8601 time with its offset, a time without one (in the
    site's zone, SITE_TIMEZONE), or a date (2026-12-02: the day in the site's zone, from its first moment for
    `edge="start"`, to its last for `edge="end"`). Loads an aware datetime."""

    default_error_messages = {  # noqa: RUF012 - marshmallow's own convention
        "invalid": "give a date such as 2026-12-02, or a time such as 2026-12-02T08:30 (site time) "
        "or 2026-12-02T08:30:00+08:00",
    }

    def __init__(self, *, edge: str = "start", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.edge = edge

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dt.datetime:
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        text = value.strip()
        zone = ZoneInfo(current_app.config["SITE_TIMEZONE"]) if has_app_context() else dt.UTC
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                raise self.make_error("invalid") from None
            start = dt.datetime.combine(day, dt.time(), zone)
            return start if self.edge == "start" else start + dt.timedelta(days=1, microseconds=-1)
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise self.make_error("invalid") from None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.isoformat()


class ErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict(required=True)
