"""Canonical encoding, hashing and sealing of audit events (pure).

The trail has two chains. The *sealed chain* holds every event that happens alike for both arms; every reader
sees all of it, and where an event carries unblinded facts (tracker/blinding.py) they are replaced by a
*seal*: an HMAC-SHA256 commitment keyed with 256 bits of fresh secret randomness, kept with the unblinded
record. A blinded reader can recompute every hash it sees, and no hash or seal it sees can be tested against
a guess of hidden data. The *unblinded chain* holds the events that are themselves unblinded (a thaw, what
happens to a container in the pharmacy); no blinded reader sees any of it, so its existence leaves no gap.
Each seal also commits to the unblinded chain's head at that moment, so that the sealed chain, and the
signatures over it, prove the unblinded chain too."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from tracker import blinding

GENESIS_HASH = "0" * 64
SALT_BYTES = 32  # 256 bits: the contract asks for at least 128

# The fields of a sealed-chain event that are hashed, in the canonical encoding's key names.
SEALED_CHAIN_FIELDS = (
    "seq", "at", "user", "role", "action", "entity_type", "entity_id",
    "before", "after", "reason", "seal", "prev_hash",
)  # fmt: skip
# The fields of an unblinded-chain event; `records` is the digest of its row images.
UNBLINDED_CHAIN_FIELDS = (
    "seq", "at", "user", "role", "action", "entity_type", "entity_id",
    "before", "after", "reason", "records", "prev_hash",
)  # fmt: skip
# The fields of the first trail's events, kept as an archive.
ARCHIVED_FIELDS = (
    "seq", "at", "user", "role", "action", "entity_type", "entity_id",
    "before", "after", "reason", "prev_hash",
)  # fmt: skip
# What a seal commits to; `records` is the digest of the event's row images.
SEAL_FIELDS = ("seq", "before", "after", "reason", "records", "unblinded_head")

# Entity types a reader may filter on (the singular snake_case resource names of the contract).
ENTITY_TYPES = (
    "lot", "container", "participant", "thaw", "bag", "infusion", "scan", "user", "study",
    "randomization_list", "audit_trail", "deviation", "adverse_event", "storage_unit", "shipment", "site",
)  # fmt: skip


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


def _encode(data: dict[str, Any]) -> bytes:
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def canonical_bytes(fields: dict[str, Any], names: tuple[str, ...] = SEALED_CHAIN_FIELDS) -> bytes:
    return _encode({key: fields[key] for key in names})


def event_hash(canonical: bytes) -> str:
    return hashlib.sha256(canonical).hexdigest()


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def seal_of(salt: bytes, sealed_canonical: bytes) -> str:
    """The commitment a blinded reader sees: without the salt, no guess of the sealed data can be tested."""
    return hmac.new(salt, sealed_canonical, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Split:
    """An event divided into what every reader may see and what only the seal carries."""

    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    sealed_before: dict[str, Any]
    sealed_after: dict[str, Any]
    sealed_reason: str | None


def split_event(
    entity_type: str,
    writer_role: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str | None,
) -> Split:
    """Divide a (normalised) event by the one declaration of what is unblinded."""
    visible_before, hidden_before = blinding.split_fields(entity_type, before)
    visible_after, hidden_after = blinding.split_fields(entity_type, after)
    hide_reason = reason is not None and blinding.note_is_unblinded(entity_type, writer_role)
    return Split(
        visible_before, visible_after, None if hide_reason else reason,
        hidden_before, hidden_after, reason if hide_reason else None,
    )  # fmt: skip


def merged(visible: dict[str, Any] | None, hidden: dict[str, Any] | None) -> dict[str, Any] | None:
    """A side of an event as an unblinded reader sees it: what everyone sees plus what was sealed."""
    if not hidden:
        return visible
    return {**(visible or {}), **hidden}
