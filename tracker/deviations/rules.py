"""Pure decisions about deviations: the states and the moves between them, what each move needs, when a
deviation is overdue and how old it is."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

CATEGORIES = (
    "bedside_stop", "temperature_excursion", "expired_bag", "destroyed_bag", "voided_bag", "recall",
    "late_result", "other",
)  # fmt: skip
STATES = ("open", "under_investigation", "capa_defined", "closed")
# state -> the states it may move to by a transition (closing is its own, signed, step).
TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "open": ("under_investigation",),
    "under_investigation": ("capa_defined",),
    "capa_defined": ("under_investigation",),  # the CAPA did not hold: investigate again
    "closed": (),
}
SOURCES = ("manual", "automatic")
LINK_FIELDS = ("lot_number", "container_id", "bag_id", "participant_id", "infusion_id")
CAPA_FIELDS = ("corrective_action", "preventive_action", "capa_owner", "capa_due_at")

# Who may raise a deviation by hand; QA alone moves, defines CAPA and closes.
RAISERS = ("qa", "gmp", "pharmacist", "nurse", "investigator")
MANAGERS = ("qa",)

# Days given to close a deviation when its raiser names no date (a common SOP default).
DEFAULT_DAYS_TO_CLOSE = 30
# The board's age buckets, in days: younger than 7, 7 to 30, older than 30.
AGE_BUCKETS = (("lt_7", 0, 7), ("7_to_30", 7, 30), ("gt_30", 30, None))

DEFAULT_CLOSE_MEANING = "I have reviewed the investigation and the CAPA; this deviation is closed"


def default_due(raised_at: dt.datetime) -> dt.datetime:
    return raised_at + dt.timedelta(days=DEFAULT_DAYS_TO_CLOSE)


def transition_blockers(state: str, target: str, fields: Mapping[str, Any]) -> list[str]:
    """Why moving from `state` to `target` is refused now (empty: allowed). `fields` are the deviation's
    values after the move's own input is applied. A target not reachable from `state` gives `not_allowed`."""
    if target not in TRANSITIONS.get(state, ()):
        return ["not_allowed"]
    if target == "capa_defined":
        return [name for name in ("investigation", "root_cause", *CAPA_FIELDS) if not fields.get(name)]
    return []


def close_blockers(state: str, fields: Mapping[str, Any]) -> list[str]:
    """Why closing is refused now: only a deviation whose CAPA is defined closes, with every CAPA field."""
    if state != "capa_defined":
        return ["not_allowed"]
    return [name for name in ("investigation", "root_cause", *CAPA_FIELDS) if not fields.get(name)]


def is_overdue(state: str, due_at: dt.datetime, now: dt.datetime) -> bool:
    return state != "closed" and due_at < now


def age_bucket(raised_at: dt.datetime, now: dt.datetime) -> str:
    days = (now - raised_at) / dt.timedelta(days=1)
    for name, low, high in AGE_BUCKETS:
        if days >= low and (high is None or days < high):
            return name
    return AGE_BUCKETS[0][0]  # a clock a little behind: the youngest


def source_links(links: Mapping[str, str | None]) -> dict[str, str | None]:
    """The links to store: beside a bag, a lot or container says where the bag came from, which is its
    allocation's material; it is kept apart as the bag's source (unblinded), never as a plain link."""
    stored = {name: links.get(name) or None for name in LINK_FIELDS}
    stored["source_lot_number"] = stored["source_container_id"] = None
    if stored["bag_id"]:
        stored["source_lot_number"] = stored.pop("lot_number")
        stored["source_container_id"] = stored.pop("container_id")
        stored["lot_number"] = stored["container_id"] = None
    return stored


def trigger_of(links: Mapping[str, str | None]) -> tuple[str, str]:
    """The record an automatic trigger is about: the most specific link (an infusion before its bag, a bag
    before its lot)."""
    for name, entity in (
        ("infusion_id", "infusion"), ("bag_id", "bag"), ("container_id", "container"),
        ("lot_number", "lot"), ("participant_id", "participant"),
    ):  # fmt: skip
        if links.get(name):
            return entity, str(links[name])
    raise ValueError("an automatic deviation needs a link to the record that triggered it")


# Words that say what is in a bag; text about a bag that blinded readers see must not carry them.
ARM_WORDS = ("active", "placebo", "ucmsc", "uc-msc", "vehicle")


def unblinding_words(text: str, hidden_ids: Iterable[str | None] = ()) -> list[str]:
    """The arm words and hidden IDs (a bag's source lot or container) that `text` names."""
    lowered = text.lower()
    found = [w for w in ARM_WORDS if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", lowered)]
    return found + [i for i in hidden_ids if i and i.lower() in lowered]
