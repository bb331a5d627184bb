"""When things happened: never in the future (a minute of skew allowed), never before what they follow."""

from __future__ import annotations

import datetime as dt

from tracker.errors import Invalid

CLOCK_SKEW = dt.timedelta(minutes=1)


def check_happened(
    field: str,
    at: dt.datetime,
    now: dt.datetime,
    *,
    not_before: dt.datetime | None = None,
    what_before: str = "",
) -> None:
    """Raise a 422 naming `field` when `at` lies in the future or before the event it follows."""
    if at > now + CLOCK_SKEW:
        raise Invalid(
            f"{field} lies in the future",
            code="time_in_future",
            details={field: ["may not lie in the future"]},
        )
    if not_before is not None and at < not_before:
        before = not_before.isoformat(timespec="seconds")  # pages show it in the site's time
        raise Invalid(
            f"{field} is before {what_before or 'the event it follows'}",
            code="time_out_of_order",
            details={field: [f"may not be before {what_before or 'the event it follows'} ({before})"]},
        )
