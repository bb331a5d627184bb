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


# A bag's custody: the pharmacy dispatches, the ward receives, either may return it or destroy it.
BAG_HANDOFF_ACTIONS = ("dispatch", "receive", "return", "destroy")
BAG_MOVES: dict[str, tuple[frozenset[str], str]] = {
    "dispatch": (frozenset({"prepared", "returned"}), "dispatched"),
    "receive": (frozenset({"dispatched"}), "received"),
    "return": (frozenset({"dispatched", "received"}), "returned"),
    # A bag is destroyed where it is held, never in transit; a voided or expired bag still has to be.
    "destroy": (frozenset({"prepared", "returned", "received", "voided", "expired"}), "destroyed"),
}
# Moves that hand a bag on to someone, refused while the bag is quarantined or past its use-by time.
BAG_ONWARD_ACTIONS = frozenset({"dispatch"})


def bag_status_after(status: str, action: str) -> str | None:
    """The bag's stored status after `action`, or None when the action is out of order."""
    starts, ends = BAG_MOVES[action]
    return ends if status in starts else None


def quarantine_reasons(
    seal_intact: bool | None,
    temperature_c: float | None,
    min_temperature_c: float | None,
    max_temperature_c: float | None,
) -> list[str]:
    """Why a handoff's condition puts the bag in quarantine (empty when it does not)."""
    reasons = []
    if seal_intact is False:
        reasons.append("the seal is broken")
    if temperature_c is not None and min_temperature_c is not None and max_temperature_c is not None:
        if not min_temperature_c <= temperature_c <= max_temperature_c:
            reasons.append(f"{temperature_c:g} °C is outside {min_temperature_c:g}–{max_temperature_c:g} °C")
    return reasons
