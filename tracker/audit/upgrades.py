"""Record rows a migration changed, written into the trail like any other change.

`audit verify` holds every record row to its latest image in the trail. A migration that adds a column (with a
value for the old rows) or rewrites values changes rows without a use case, so their images would lack the
change and verification would call them tampered with. A migration calls `record_migrated_rows` after its
changes: one event by the system, `migrate` of the `audit_trail` at its revision, carries the new image of
every row that differs from its latest image only as migrations change rows. A row that differs in any other
way (changed behind the app's back) is left out, so verification still names it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import Connection, select

from tracker.audit import records, rules
from tracker.audit.services import append_event
from tracker.audit.verification import latest_images
from tracker.db import utcnow
from tracker.roles import SYSTEM

MIGRATE_ACTION, MIGRATE_ENTITY = "migrate", "audit_trail"

# (the latest image of a row) -> the values a migration gave some of its existing columns
Rewrite = Callable[[dict[str, Any]], dict[str, Any]]
# (a row no event wrote) -> whether a migration made it
Made = Callable[[dict[str, Any]], bool]


def _latest_images(conn: Connection, table: str) -> dict[str, dict[str, Any] | None]:
    # Held in memory per table: a migration runs once, and a trial's tables are thousands of rows, not
    # millions (temperature readings are no record table).
    rows = conn.execute(latest_images(table))
    return {key: None if image is None else orjson.loads(image) for key, image in rows}


def _migrated(live: dict[str, Any], old: dict[str, Any], rewrite: Rewrite | None) -> bool:
    """Whether `live` is `old` with only columns added (any value: the trail never knew them) and the
    rewritten columns holding what the migration gave them."""
    expected = old | (rewrite(old) if rewrite else {})
    return live != old and all(name in live and live[name] == value for name, value in expected.items())


def record_migrated_rows(
    conn: Connection,
    revision: str,
    reason: str,
    *,
    rewritten: Mapping[str, Rewrite] | None = None,
    made: Mapping[str, Made] | None = None,
) -> int:
    """Record, in one event, the rows earlier migrations changed since the trail last imaged them: rows whose
    live image has columns their latest image lacks, rows of the tables in `rewritten` whose columns hold what
    their migration computed from the old values, and rows no event wrote that `made` says a migration made.
    Returns how many rows; with none (a new database, or run again) no event is written."""
    rewritten, made = rewritten or {}, made or {}
    schema = sa.inspect(conn)
    present = set(schema.get_table_names())
    images: list[records.Image] = []
    rows_by_table: dict[str, int] = {}
    for table in records.record_tables():
        if table.name not in present:
            continue  # made by a later revision
        # The models may be newer than this revision: read only the columns the database has so far.
        names = {c["name"] for c in schema.get_columns(table.name)}
        columns = [c for c in table.columns if c.name in names]
        latest = _latest_images(conn, table.name)
        (pk,) = table.primary_key.columns
        count = 0
        for row in conn.execute(select(*columns).order_by(pk)):
            live = records.image_of(table, row._mapping, columns)
            key = records.row_key(table, live)
            old = latest.get(key)
            if old is None:  # no image, or deleted: only a row a migration made is recorded
                taken = table.name in made and made[table.name](live)
            else:
                taken = _migrated(live, old, rewritten.get(table.name))
            if taken:
                images.append((table.name, key, live))
                count += 1
        if count:
            rows_by_table[table.name] = count
    if not images:
        return 0
    # The counts are sealed (blinding.py, `audit_trail`): how many thaws there are says which arm was used.
    append_event(
        conn, at=utcnow(), username=SYSTEM.username, role=SYSTEM.role, action=MIGRATE_ACTION,
        entity_type=MIGRATE_ENTITY, entity_id=revision, before=None,
        after=rules.normalise({"revision": revision, "rows_by_table": rows_by_table}), reason=reason,
        images=images,
    )  # fmt: skip
    return len(images)
