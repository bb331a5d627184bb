"""An audit event's before and after as a person reads them: only the fields that changed, values in words.

Pure: the page and the printable trail both show an event through `changes` and `readable`, so they agree."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)$")
_HASH = re.compile(r"^[0-9a-f]{32,}$")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S %Z"
SHORT_HASH = 12


@dataclass(frozen=True)
class Change:
    field: str
    kind: Literal["changed", "added", "removed"]
    before: Any = None
    after: Any = None


_ABSENT = object()


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The fields that differ, by name: changed (on both sides), added (after only), removed (before only).
    A field set to or from null counts as changed, so that a value cleared is not read as a field dropped;
    a field that arrives or leaves empty is no change (a new record's unset fields are noise)."""
    before, after = before or {}, after or {}
    found = []
    for name in sorted({*before, *after}):
        old, new = before.get(name, _ABSENT), after.get(name, _ABSENT)
        if old is _ABSENT:
            if new is not None:
                found.append(Change(name, "added", after=new))
        elif new is _ABSENT:
            if old is not None:
                found.append(Change(name, "removed", before=old))
        elif old != new:
            found.append(Change(name, "changed", old, new))
    return found


def is_hash(value: Any) -> bool:
    return isinstance(value, str) and _HASH.match(value) is not None


def short_hash(value: str) -> str:
    return value[:SHORT_HASH] + "…"


def local_time(value: dt.datetime | str, zone: ZoneInfo) -> str:
    """A stored time in the site's zone, to the second (no microseconds)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone).strftime(TIME_FORMAT)


def readable(
    value: Any,
    zone: ZoneInfo,
    yes: str = "yes",
    no: str = "no",
    empty: str = "—",
    *,
    field: str = "",
    label: Callable[[str], str] | None = None,
    word: Callable[[str, str], str] | None = None,
    keyed_by_data: frozenset[str] = frozenset(),
) -> str:
    """A value as text: times in the site's zone, true/false as words, numbers written out, lists and objects
    as "field: value; ...". Hashes stay whole here: where they are shown decides how to shorten them.
    `field` names what the value is, for `word` to say a string of it in the reader's language (`label` names
    an object's fields); the keys of a field in `keyed_by_data` are data and stay as they are."""
    label = label or field_name

    def inner(v: Any, of: str) -> str:
        return readable(
            v, zone, yes, no, empty, field=of, label=label, word=word, keyed_by_data=keyed_by_data
        )

    if value is None or value == "":
        return empty
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, float):
        # Written out, not in e-notation (1.5e+08 cells reads as 150000000), trailing zeros dropped.
        if value == 0 or 1e-4 <= abs(value) < 1e15:
            return f"{value:.6f}".rstrip("0").rstrip(".")
        return str(value)
    if isinstance(value, str):
        if _ISO_TIME.match(value):
            return local_time(value, zone)
        return word(field, value) if word and not is_hash(value) else value
    if isinstance(value, list):
        return ", ".join(inner(v, field) for v in value) or empty
    if isinstance(value, dict):
        keys_are_data = field in keyed_by_data
        parts = (f"{k if keys_are_data else label(k)}: {inner(v, k)}" for k, v in sorted(value.items()))
        return "; ".join(parts) or empty
    return str(value)


def field_name(name: str) -> str:
    return name.replace("_", " ")
