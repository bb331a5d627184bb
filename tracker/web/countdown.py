"""The pages' countdowns (the thaw's window, a bag's use-by) as the server first renders them, for
templates/ward/_countdown.html; static/js/ward.js keeps them running every second with the same thresholds
and words. One computation for the pharmacy and the ward, each with its own thresholds and words."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext

from tracker.db import utcnow


def hms(seconds: float) -> str:
    """A duration as H:MM:SS (never negative)."""
    seconds = max(int(seconds), 0)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def countdown(
    until: dt.datetime,
    *,
    amber: dt.timedelta,
    red: dt.timedelta,
    expired: str,
    carried: bool,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """{level, text} of a countdown to `until`: `ok`, `amber` (less than `amber` left), `red`, or `expired`
    with the words `expired` (marked with N_). `carried`: the clock carries its thresholds and words to the
    page (the pharmacy's); otherwise the script's defaults (the ward's) apply and the page shows none."""
    left = until - (now or utcnow())
    words = gettext(expired)
    shown = (
        {"expired": words, "amber": int(amber.total_seconds()), "red": int(red.total_seconds())}
        if carried
        else {}
    )
    if left <= dt.timedelta():
        return {**shown, "level": "expired", "text": words}
    level = "red" if left < red else "amber" if left < amber else "ok"
    return {**shown, "level": level, "text": gettext("%(time)s left", time=hms(left.total_seconds()))}
