"""Which tables the audit trail describes, and the image of each row an event changed.

Every event carries the full image of every record row its transaction inserted, changed or deleted (kept in
`audit_record`, committed to by the event's seal or hash). Replaying the images gives each row's current
state, so `audit verify` can compare every live row with what the trail says it should be. Images are
collected from the ORM session as it flushes, so a use case cannot forget one; a write made with a Core
statement passes its images to `record_event` itself."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Table, event, inspect
from sqlalchemy.orm import Session

from tracker import blinding
from tracker.db import Base

# The tables the trail does not describe, each with why: the one place that leaves a table out.
NOT_RECORDS: dict[str, str] = {
    "audit_event": "the trail itself",
    "audit_seal": "the trail itself",
    "audit_unblinded_event": "the trail itself",
    "audit_event_v1": "the first trail, kept as an archive",
    "audit_head": "the trail's heads, checked by verification",
    "audit_record": "the trail's row images",
    "api_token": "sessions: issued and revoked at sign-in, expire by themselves",
    "page_session": "sessions: begun and ended at sign-in and sign-out, expire by themselves",
    "login_attempt": "a throttling cache of failed sign-ins",
    "notification": "the e-mail outbox: the mailer marks rows sent outside any use case",
    "temperature_reading": "instrument readings in bulk (100,000 in one logger file): each batch is one "
    "record_readings event of its unit, with its count, span, extremes and SHA-256 over its readings",
}

# Columns whose values verification never prints, whoever runs it.
SECRET_COLUMNS = frozenset({("user_account", "password_hash")})

Image = tuple[str, str, dict[str, Any] | None]  # (table, row key, column values; None when deleted)
_PENDING = "audit_pending_rows"


def record_tables() -> list[Table]:
    """Every table the trail describes, in a fixed order."""
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_RECORDS]


def is_record_table(name: str) -> bool:
    return name not in NOT_RECORDS and name in Base.metadata.tables


def may_show(table: str, column: str) -> bool:
    """Whether verification may print a column's values: not a secret, and not unblinded
    (tracker/blinding.py), since whoever runs it may be blinded."""
    return (table, column) not in SECRET_COLUMNS and not blinding.column_is_unblinded(table, column)


def row_key(table: Table, values: Any) -> str:
    """The key of a row as text that sorts as the table's primary key does (integers zero-padded)."""
    (column,) = table.primary_key.columns
    value = values[column.name] if hasattr(values, "__getitem__") else getattr(values, column.name)
    return f"{value:020d}" if isinstance(value, int) else str(value)


def _plain(value: Any) -> Any:
    """A column's value as JSON holds it: times in UTC ISO 8601, bytes in hex, decimals as text."""
    if value is None or value.__class__ in (str, int, float, bool, dict, list):
        return value
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot keep {type(value).__name__} in a row image")


def row_reader(table: Table) -> Callable[[Any], dict[str, Any]]:
    """A function turning a Core row of `table` (its columns in table order, as the models type them) into
    its image, built once per table: verification turns every live row into one, so only the columns that
    need it are converted (times arrive as aware UTC from the models' type)."""
    names = [c.name for c in table.columns]
    convert = [
        _utc_text if isinstance(getattr(c.type, "impl", c.type), DateTime)
        else None if isinstance(c.type, String | Integer | Float | Boolean | JSON)
        else _plain
        for c in table.columns
    ]  # fmt: skip
    if not any(convert):
        return lambda values: dict(zip(names, values, strict=True))
    return lambda values: {
        name: value if how is None or value is None else how(value)
        for name, value, how in zip(names, values, convert, strict=True)
    }


def _utc_text(value: dt.datetime) -> str:
    return value.isoformat() if value.tzinfo is dt.UTC else _plain(value)


def image_of(table: Table, values: Any, columns: Iterable[Any] | None = None) -> dict[str, Any]:
    """A row's columns as plain JSON values, the same way for an ORM object, a Core row or a dict. A migration
    names the `columns` its database has so far (tracker/audit/upgrades.py)."""
    columns = table.columns if columns is None else columns
    if hasattr(values, "__getitem__"):
        return {c.name: _plain(values[c.name]) for c in columns}
    return {c.name: _plain(getattr(values, c.name)) for c in columns}


def images_digest(images: Iterable[tuple[int, str, str, dict[str, Any] | None]]) -> str:
    """What an event commits to: SHA-256 over its numbered images in canonical JSON (keys sorted)."""
    return hashlib.sha256(
        orjson.dumps([list(image) for image in images], option=orjson.OPT_SORT_KEYS)
    ).hexdigest()


# ---- collecting what a transaction wrote --------------------------------------------------------------


def _collect(session: Session, _context: Any) -> None:
    pending = session.info.setdefault(_PENDING, {})
    for obj, deleted in (
        *((o, False) for o in session.new),
        *((o, False) for o in session.dirty if session.is_modified(o)),
        *((o, True) for o in session.deleted),
    ):
        table = inspect(obj).mapper.local_table
        if isinstance(table, Table) and is_record_table(table.name):
            pending[(table.name, row_key(table, obj))] = (table, None if deleted else obj)


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


def _forget_at_the_end(session: Session) -> None:
    """After the transaction's commit, not a savepoint's release (which fires `after_commit` too, while the
    session is still in its nested transaction): an automatic deviation is flushed inside a savepoint and its
    event is recorded after it, so what the savepoint flushed must still be pending then."""
    if not session.in_nested_transaction():
        _forget(session)


event.listen(Session, "after_flush", _collect)
# What a transaction that ends wrote without an event is not carried into the next: verification finds it.
event.listen(Session, "after_commit", _forget_at_the_end)
event.listen(Session, "after_soft_rollback", _forget)


def explicit_images(written: Iterable[tuple[Table, dict[str, Any]]]) -> list[Image]:
    """Images of rows a use case wrote with Core statements: (table, the row's values with its key)."""
    return [(table.name, row_key(table, values), image_of(table, values)) for table, values in written]


def take_images(session: Session) -> list[Image]:
    """The images of the record rows flushed since the last event of this transaction (the session has
    flushed): the current values of each row, or None for a deleted one."""
    pending = session.info.pop(_PENDING, {})
    return [
        (name, key, None if obj is None else image_of(table, obj))
        for (name, key), (table, obj) in sorted(pending.items(), key=lambda item: item[0])
    ]
