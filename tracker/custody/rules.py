"""Which custody moves a container may make from each status (pure)."""

from __future__ import annotations

import datetime as dt

from tracker.translation import N_

CONTAINER_STATUSES = ("stored", "issued", "thawed", "used", "discarded", "discarded_in_pharmacy")

# action -> (statuses it may start from, status it leaves)
CONTAINER_MOVES: dict[str, tuple[frozenset[str], str]] = {
    # From the GMP lab's store to the pharmacy's stock: the only way a container reaches the pharmacy.
    "issue": (frozenset({"stored"}), "issued"),
    "thaw": (frozenset({"issued"}), "thawed"),
    # A vehicle container emptied into a placebo bag (cells are thawed instead).
    "use": (frozenset({"issued"}), "used"),
    # A discard in the lab's store; one in the pharmacy's stock is another move (and unblinded, like a use).
    "discard": (frozenset({"stored"}), "discarded"),
    "discard_in_pharmacy": (frozenset({"issued"}), "discarded_in_pharmacy"),
}

# The moves a person records by hand; a thaw or a use is recorded by the thaw or the preparation itself.
# A `discard` asked for a container in the pharmacy's stock is recorded as `discard_in_pharmacy`.
CONTAINER_HANDOFF_ACTIONS = ("issue", "discard")

# Plain words for error messages: what a container's status says, and what each move does to it (marked
# for translation: a refusal names them as parameters, tracker/web/problems.py translates them).
CONTAINER_STATUS_WORDS = {
    "stored": N_("in the GMP lab's store"),
    "issued": N_("in the pharmacy's stock"),
    "thawed": N_("thawed"),
    "used": N_("used"),
    "discarded": N_("discarded in the GMP lab"),
    "discarded_in_pharmacy": N_("discarded in the pharmacy"),
    # the statuses blinded readers see
    "in_store": N_("in the GMP lab's store"),
    "in_pharmacy": N_("in the pharmacy"),
    "discarded_in_lab": N_("discarded in the GMP lab"),
}
CONTAINER_ACTION_WORDS = {
    "issue": N_("issued"),
    "thaw": N_("thawed"),
    "use": N_("used"),
    "discard": N_("discarded"),
    "discard_in_pharmacy": N_("discarded in the pharmacy"),
    "move": N_("moved"),
    "ship": N_("shipped"),
}
CONTAINER_MOVE_REFUSAL = N_("Container %(container)s is %(where)s: it cannot be %(done)s now")

CONTAINER_QUARANTINE_REFUSAL = N_(
    "Container %(container)s is in quarantine after the temperature excursion in storage unit %(unit)s from "
    "%(start)s: it cannot be %(done)s until QA decides"
)

CLOCK_SKEW = dt.timedelta(minutes=1)


def container_status_after(status: str, action: str) -> str | None:
    """The container's status after `action`, or None when the action is out of order."""
    starts, ends = CONTAINER_MOVES[action]
    return ends if status in starts else None


def discard_move(status: str) -> str:
    """The move a discard of a container in `status` is: in the pharmacy's stock, or else in the lab."""
    return "discard_in_pharmacy" if status in CONTAINER_MOVES["discard_in_pharmacy"][0] else "discard"


def container_move_refusal(container_id: str, shown_status: str, action: str) -> str:
    """The sentence refusing `action` on a container whose status, as the reader may see it, is given."""
    return CONTAINER_MOVE_REFUSAL % container_move_refusal_params(container_id, shown_status, action)


def container_move_refusal_params(container_id: str, shown_status: str, action: str) -> dict[str, str]:
    """The parameters of CONTAINER_MOVE_REFUSAL, for a refusal translated where it is shown."""
    return {
        "container": container_id,
        "where": CONTAINER_STATUS_WORDS.get(shown_status, shown_status),
        "done": CONTAINER_ACTION_WORDS.get(action, action),
    }


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


def receipt_condition_missing(
    temperature_c: float | None, seal_intact: bool | None, transport_range_set: bool
) -> dict[str, list[str]]:
    """What a receipt must say about the bag's transport and does not: where the study sets a transport
    range, its temperature and whether the seal is intact (empty when nothing is missing)."""
    if not transport_range_set:
        return {}
    missing = {}
    if temperature_c is None:
        missing["temperature_c"] = ["measure the bag's temperature: the study sets a transport range"]
    if seal_intact is None:
        missing["seal_intact"] = ["say whether the seal is intact"]
    return missing


def label_missing_for(action: str, print_count: int) -> bool:
    """A bag leaves the pharmacy only labelled: a dispatch needs a printed label."""
    return action == "dispatch" and print_count < 1
