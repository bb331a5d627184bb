"""Canonical encoding and hashing of audit events, and what blinded readers may not see."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from typing import Any

GENESIS_HASH = "0" * 64

# The fields of an event that are hashed, in the canonical encoding's key names.
CANONICAL_FIELDS = (
    "seq", "at", "user", "role", "action", "entity_type", "entity_id",
    "before", "after", "reason", "prev_hash",
)  # fmt: skip

# Entity types a reader may filter on (the singular snake_case resource names of the contract).
ENTITY_TYPES = (
    "lot", "container", "participant", "thaw", "bag", "infusion", "scan", "user", "study",
    "randomization_list",
)  # fmt: skip

# What a blinded reader never receives: whole entity types, and keys inside before/after per entity type.
# Feature modules extend these where they write unblinded facts into an event.
BLINDED_HIDDEN_ENTITY_TYPES: set[str] = {"thaw"}
BLINDED_HIDDEN_KEYS: dict[str, set[str]] = {
    "participant": {"arm"},
    # Knowing the block sizes helps a blinded person guess the last allocations of a block.
    "randomization_list": {"block_sizes"},
    "bag": {
        "arm", "material", "lot_number", "thaw_id", "thawed_at", "container_id", "container_status",
        "placebo_lot", "drawn_volume_ml", "dose_viable_cells", "witness", "witnessed_at", "qr_payload",
    },
}  # fmt: skip
# Free text that unblinded staff wrote about these entities (a void's reason, say) may name what is in a bag.
BLINDED_HIDDEN_UNBLINDED_REASONS = {"bag"}
UNBLINDED_WRITERS = {"pharmacist", "statistician"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an audit event")
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"cannot record {type(value).__name__} in an audit event")


def normalise(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Turn values into plain JSON so that columns and canonical bytes hold the same thing."""
    if data is None:
        return None
    return json.loads(json.dumps(data, default=_jsonable))


def canonical_bytes(fields: dict[str, Any]) -> bytes:
    return json.dumps(
        {key: fields[key] for key in CANONICAL_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    ).encode("utf-8")


def event_hash(canonical: bytes) -> str:
    return hashlib.sha256(canonical).hexdigest()


def redact_for_blinded(event: dict[str, Any]) -> dict[str, Any] | None:
    """The event as a blinded reader may see it, or None when it must not be shown at all."""
    if event["entity_type"] in BLINDED_HIDDEN_ENTITY_TYPES:
        return None
    hidden = BLINDED_HIDDEN_KEYS.get(event["entity_type"], set())
    redacted = dict(event)
    if event["entity_type"] in BLINDED_HIDDEN_UNBLINDED_REASONS and event["role"] in UNBLINDED_WRITERS:
        redacted["reason"] = None
    for side in ("before", "after"):
        if redacted.get(side):
            redacted[side] = {k: v for k, v in redacted[side].items() if k not in hidden}
    return redacted
