"""Which custody moves a container may make from each status (pure)."""

from __future__ import annotations

import datetime as dt

CONTAINER_STATUSES = ("stored", "issued", "thawed", "used", "discarded")

# action -> (statuses it may start from, status it leaves)
CONTAINER_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "issue": (frozenset({"stored"}), "issued"),
    "thaw": (frozenset({"issued"}), "thawed"),
    "discard": (frozenset({"stored", "issued"}), "discarded"),
    # A vehicle container emptied into a placebo bag (cells are thawed instead).
    "use": (frozenset({"issued"}), "used"),
}

# The moves a person records by hand; a thaw or a use is recorded by the thaw or the preparation itself.
CONTAINER_HANDOFF_ACTIONS = ("issue", "discard")

CLOCK_SKEW = dt.timedelta(minutes=1)


def container_status_after(status: str, action: str) -> str | None:
    """The container's status after `action`, or None when the action is out of order."""
    starts, ends = CONTAINER_MOVES[action]
    return ends if status in starts else None


def event_time_problem(at: dt.datetime, now: dt.datetime, previous: dt.datetime | None) -> str | None:
    """Why `at` cannot be the time of a custody event, or None when it can."""
    if at > now + CLOCK_SKEW:
        return "must not lie in the future"
    if previous is not None and at < previous:
        return "must not lie before the previous custody event"
    return None
