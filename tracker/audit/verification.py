"""`audit verify`: the whole trail proven, hidden parts included. Both chains hash and link from their first
event to their head, every seal opens to its sealed facts, every seal's anchor names a real state of the
unblinded chain, and the first trail (when this database was resealed) is intact and is exactly what the two
chains re-express."""

from __future__ import annotations

import datetime as dt
import gc
import hmac
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

import orjson
from sqlalchemy import Integer, String, Table, Text, cast, func, select, type_coerce
from sqlalchemy.orm import Session

from tracker.audit import records, rules
from tracker.audit.models import (
    ArchivedAuditEvent,
    AuditEvent,
    AuditHead,
    AuditRecord,
    AuditSeal,
    UnblindedAuditEvent,
)
from tracker.audit.services import SEALED_HEAD, UNBLINDED_HEAD

RESEAL_ACTION, RESEAL_ENTITY = "reseal", "audit_trail"


@dataclass(frozen=True)
class RecordProblem:
    """A record row that disagrees with the trail: the table, the row's key, the column (None for the whole
    row) and what the trail says against what the table holds."""

    table: str
    key: str
    column: str | None
    expected: Any
    found: Any

    def __str__(self) -> str:
        where = f"{self.table} {self.key}" + (f" column {self.column}" if self.column else "")
        return f"{where}: the trail says {self.expected}, the table holds {self.found}"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    events: int
    broken_seq: int | None = None
    problem: str | None = None
    chain: str = "sealed"
    unblinded_events: int = 0
    rows: int = 0
    record_problems: tuple[RecordProblem, ...] = ()
    more_record_problems: int = 0

    @property
    def where(self) -> str:
        return f"seq {self.broken_seq} of the {self.chain} chain"


class Broken(Exception):
    def __init__(self, chain: str, seq: int | None, problem: str) -> None:
        super().__init__(problem)
        self.chain, self.seq, self.problem = chain, seq, problem


def _columns(table: Table, names: tuple[str, ...]) -> list[Any]:
    # Raw column values (no type processing): verification reads every event ever written, so it parses
    # only what it compares, and the same way on every database. JSON as text: orjson parses it faster
    # than PostgreSQL's driver does.
    return [
        cast(table.c[name], Text) if name in ("before", "after", "sealed")
        else type_coerce(table.c[name], String) if name == "at"
        else table.c[name]
        for name in names
    ]  # fmt: skip


_COMMON = ("seq", "at", "username", "role", "action", "entity_type", "entity_id", "before", "after", "reason")
_SCALAR_KEYS = ("seq", "user", "role", "action", "entity_type", "entity_id", "reason", "prev_hash")
# The canonical encoding writes every time in UTC with this suffix; the column holds it as naive UTC.
_UTC_SUFFIX = "+00:00"


def _json(value: Any) -> Any:
    # SQLite hands JSON columns back as text, PostgreSQL's driver as parsed values.
    return orjson.loads(value) if value.__class__ is str else value


def _event_problem(
    row: Any, expected_seq: int, prev_hash: str, extra: str | None = None, value: Any = None
) -> str | None:
    """What is wrong with one stored event, or None. Kept lean: it runs for every event ever recorded.
    `row` starts with the common columns, then prev_hash, hash and canonical; `extra` names one more column
    of this chain (the sealed chain's `seal`, the unblinded chain's `records`) whose value is `value`."""
    (seq, at, username, role, action, entity_type, entity_id, before, after, reason) = row[:10]
    (row_prev, digest, canonical) = row[10:13]
    if sha256(canonical).hexdigest() != digest:
        return "hash does not match the stored event"
    if seq != expected_seq:
        return f"sequence gap: expected seq {expected_seq}"
    if row_prev != prev_hash:
        return "prev_hash does not match the previous event's hash"
    stored = orjson.loads(canonical)
    columns = (seq, username, role, action, entity_type, entity_id, reason, row_prev)
    if (
        stored["seq"], stored["user"], stored["role"], stored["action"], stored["entity_type"],
        stored["entity_id"], stored["reason"], stored["prev_hash"],
    ) != columns:  # fmt: skip
        key = next(k for k, v in zip(_SCALAR_KEYS, columns, strict=True) if stored[k] != v)
        return f"column {key} differs from the hashed event"
    if extra is not None and stored.get(extra) != value:
        return f"column {extra} differs from the hashed event"
    if _json(before) != stored["before"]:
        return "column before differs from the hashed event"
    if _json(after) != stored["after"]:
        return "column after differs from the hashed event"
    stored_at = stored["at"]
    column_at = dt.datetime.fromisoformat(at) if at.__class__ is str else at
    if not stored_at.endswith(_UTC_SUFFIX) or dt.datetime.fromisoformat(stored_at[:-6]) != column_at:
        return "column at differs from the hashed event"
    return None


def _open_seal(
    seq: int, seal: str, salt: bytes | None, sealed: Any, canonical: bytes | None
) -> dict[str, Any] | str:
    """The sealed facts of an event, or what is wrong with its seal."""
    if salt is None or canonical is None:
        return "its seal's record is missing"
    if not hmac.compare_digest(rules.seal_of(salt, canonical), seal):
        return "the seal does not open to its sealed facts"
    opened = orjson.loads(canonical)
    if opened["seq"] != seq:
        return "the seal belongs to another event"
    if _json(sealed) != opened:
        return "column sealed differs from the sealed bytes"
    return opened


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Verification allocates millions of short-lived objects and makes no cycles; left on, the cyclic
    collector would rescan each batch of rows again and again (a quarter of the run in the audit bench)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _stream(session: Session, query: Any, batch: int) -> Iterator[Any]:
    # One query streamed in batches (a server-side cursor on PostgreSQL), as Core rows, in one snapshot.
    result = session.connection().execution_options(stream_results=True, yield_per=batch).execute(query)
    with result:
        for rows in result.partitions():
            yield from rows


def _head(session: Session, head_id: int) -> tuple[int, str]:
    head = session.get(AuditHead, head_id)
    return (head.seq, head.hash) if head else (0, rules.GENESIS_HASH)


def _check_head(session: Session, chain: str, head_id: int, count: int, last_hash: str) -> None:
    head_seq, head_hash = _head(session, head_id)
    if (head_seq, head_hash) != (count, last_hash):
        seq = count + 1 if head_seq > count else head_seq
        raise Broken(chain, seq, "chain head disagrees: events missing at the end")


class _Images:
    """The row images of one chain, read beside its events in the same order: each event's digest of them."""

    def __init__(self, session: Session, chain: str, batch: int) -> None:
        r = AuditRecord.__table__
        query = (
            select(r.c.seq, r.c.n, r.c.table_name, r.c.row_key, cast(r.c.image, Text))
            .where(r.c.chain == chain)
            .order_by(r.c.seq, r.c.n)
        )
        self.chain, self._last_n = chain, 0
        self._rows = _stream(session, query, batch)
        self._next = next(self._rows, None)

    def digest_for(self, seq: int) -> str:
        taken = []
        while self._next is not None and self._next[0] <= seq:
            event_seq, n, table, key, image = self._next
            if event_seq < seq:
                raise Broken(self.chain, event_seq, "row images of an event that is missing")
            if n <= self._last_n:
                raise Broken(self.chain, seq, "its row images are out of order")
            taken.append((n, table, key, None if image is None else orjson.loads(image)))
            self._last_n, self._next = n, next(self._rows, None)
        return records.images_digest(taken)

    def finish(self) -> None:
        if self._next is not None:
            raise Broken(self.chain, self._next[0], "row images of an event that is missing")

    def close(self) -> None:
        self._rows.close()


def _walk_sealed(session: Session, batch: int) -> tuple[int, dict[int, str]]:
    """The sealed chain, its seals and row images: its count and the unblinded heads its seals name."""
    ev, seals = AuditEvent.__table__, AuditSeal.__table__
    query = (
        select(
            *_columns(ev, (*_COMMON, "prev_hash", "hash", "canonical", "seal")),
            *_columns(seals, ("salt", "sealed", "canonical")),
        )
        .outerjoin(seals, seals.c.seq == ev.c.seq)
        .order_by(ev.c.seq)
    )
    images = _Images(session, "sealed", batch)
    with closing(images), closing(_stream(session, query, batch)) as events:
        return _sealed_rows(session, events, images)


def _sealed_rows(session: Session, events: Iterator[Any], images: _Images) -> tuple[int, dict[int, str]]:
    prev_hash, count = rules.GENESIS_HASH, 0
    anchors: dict[int, str] = {0: rules.GENESIS_HASH}
    last_anchor = 0
    for row in events:
        seq, seal = row[0], row[13]
        problem = _event_problem(row, count + 1, prev_hash, "seal", seal)
        opened = problem or _open_seal(seq, seal, *row[14:17])
        if opened.__class__ is str:
            raise Broken("sealed", seq, opened)
        if images.digest_for(seq) != opened["records"]:
            raise Broken("sealed", seq, "its row images differ from those its seal commits to")
        anchor = opened["unblinded_head"]
        if anchor["seq"] != last_anchor:
            if anchor["seq"] < last_anchor:
                raise Broken("sealed", seq, "its seal names an older state of the unblinded chain")
            anchors[anchor["seq"]], last_anchor = anchor["hash"], anchor["seq"]
        elif anchors[last_anchor] != anchor["hash"]:
            raise Broken("sealed", seq, "its seal names another unblinded chain")
        prev_hash, count = row[11], count + 1
    images.finish()
    _check_head(session, "sealed", SEALED_HEAD, count, prev_hash)
    return count, anchors


def _walk_unblinded(session: Session, batch: int, anchors: dict[int, str]) -> int:
    """The unblinded chain and its row images, against the states the sealed chain's seals recorded."""
    table = UnblindedAuditEvent.__table__
    query = select(*_columns(table, (*_COMMON, "prev_hash", "hash", "canonical", "records"))).order_by(
        table.c.seq
    )
    images = _Images(session, "unblinded", batch)
    with closing(images), closing(_stream(session, query, batch)) as events:
        return _unblinded_rows(session, events, images, anchors)


def _unblinded_rows(session: Session, events: Iterator[Any], images: _Images, anchors: dict[int, str]) -> int:
    prev_hash, count = rules.GENESIS_HASH, 0
    for row in events:
        problem = _event_problem(row, count + 1, prev_hash, "records", row[13])
        if problem:
            raise Broken("unblinded", row[0], problem)
        if images.digest_for(row[0]) != row[13]:
            raise Broken("unblinded", row[0], "its row images differ from those its hash commits to")
        prev_hash, count = row[11], count + 1
        if anchors.get(count, prev_hash) != prev_hash:
            raise Broken("unblinded", count, "differs from the state a seal of the sealed chain recorded")
    images.finish()
    if max(anchors) > count:
        raise Broken("unblinded", count + 1, "a seal names events of the unblinded chain that are missing")
    _check_head(session, "unblinded", UNBLINDED_HEAD, count, prev_hash)
    return count


def _walk_archive(session: Session, batch: int) -> tuple[int, str]:
    """The archived first trail: count and last hash."""
    table = ArchivedAuditEvent.__table__
    query = select(*_columns(table, (*_COMMON, "prev_hash", "hash", "canonical"))).order_by(table.c.seq)
    prev_hash, count = rules.GENESIS_HASH, 0
    with closing(_stream(session, query, batch)) as events:
        for row in events:
            problem = _event_problem(row, count + 1, prev_hash)
            if problem:
                raise Broken("archived", row[0], problem)
            prev_hash, count = row[11], count + 1
    return count, prev_hash


def verify_chain(session: Session, batch: int = 5_000) -> VerifyResult:
    """Walk both chains (and the archived first trail) from the start, reporting the first row that breaks
    them, then hold every record row to the latest image the trail keeps of it."""
    broken, sealed_count, unblinded_count = None, 0, 0
    with _cyclic_gc_paused():
        try:
            sealed_count, anchors = _walk_sealed(session, batch)
            unblinded_count = _walk_unblinded(session, batch, anchors)
            _verify_reseal(session, batch)
        except Broken as exc:
            broken = exc
        rows, problems, more = _verify_records(session, batch)
    if broken is not None:
        return VerifyResult(
            False,
            sealed_count,
            broken.seq,
            broken.problem,
            broken.chain,
            unblinded_count,
            rows,
            problems,
            more,
        )
    return VerifyResult(
        not problems, sealed_count, None, None, "sealed", unblinded_count, rows, problems, more
    )


# ---- the records against their images -------------------------------------------------------------------

MAX_RECORD_PROBLEMS = 100
_NOT_SHOWN = "(not shown: unblinded or secret)"


def latest_images(table_name: str) -> Any:
    """(row key, its latest image as JSON text) of every row of a table the trail holds images of: what
    verification compares with the live rows, and what an upgrade finds migrated (upgrades.py)."""
    r = AuditRecord.__table__
    ranked = (
        select(
            r.c.row_key,
            cast(r.c.image, Text).label("image"),
            func.row_number().over(partition_by=r.c.row_key, order_by=r.c.n.desc()).label("rank"),
        )
        .where(r.c.table_name == table_name)
        .subquery()
    )
    return select(ranked.c.row_key, ranked.c.image).where(ranked.c.rank == 1)


def _latest_images(session: Session, table: Table) -> Any:
    query = latest_images(table.name)
    return query.order_by(_binary_order(session, query.selected_columns.row_key))


def _binary_order(session: Session, column: Any) -> Any:
    # Keys are compared in Python as they stream: the database must order text by code point, as Python does.
    text_key = isinstance(column.type, String)
    return column.collate("C") if text_key and session.get_bind().dialect.name == "postgresql" else column


def _verify_records(session: Session, batch: int) -> tuple[int, tuple[RecordProblem, ...], int]:
    """Every live row of every record table against the trail's latest image of it, both read in key order
    and merged, so that memory stays bounded whatever the size of the trail."""
    problems: list[RecordProblem] = []
    count = more = 0

    def report(problem: RecordProblem) -> None:
        nonlocal more
        if len(problems) < MAX_RECORD_PROBLEMS:
            problems.append(problem)
        else:
            more += 1

    for table in records.record_tables():
        count += _compare_table(session, table, batch, report)
    return count, tuple(problems), more


_ABSENT = object()


def _compare_table(
    session: Session, table: Table, batch: int, report: Callable[[RecordProblem], None]
) -> int:
    """Merge one table's live rows with the trail's latest images of them, both in key order."""
    (pk,) = table.primary_key.columns
    names = [c.name for c in table.columns]
    image_of_row = records.row_reader(table)
    at_key = names.index(pk.name)
    padded = isinstance(pk.type, Integer)
    live = _stream(session, select(table).order_by(_binary_order(session, pk)), batch)
    images = _stream(session, _latest_images(session, table), batch)
    count = 0
    with closing(live), closing(images):
        row, image = next(live, None), next(images, None)
        while row is not None or image is not None:
            row_key = None if row is None else (f"{row[at_key]:020d}" if padded else str(row[at_key]))
            image_key = None if image is None else image[0]
            if image_key is None or (row_key is not None and row_key < image_key):
                report(RecordProblem(table.name, row_key, None, "no such row", "a row no event wrote"))
                count, row = count + 1, next(live, None)
                continue
            expected = None if image[1] is None else orjson.loads(image[1])
            if row_key is None or image_key < row_key:
                if expected is not None:
                    report(RecordProblem(table.name, image_key, None, "this row", "no row: it was deleted"))
                image = next(images, None)
                continue
            found = image_of_row(row)
            if expected is None:
                report(RecordProblem(table.name, row_key, None, "no row: it was deleted", "this row"))
            elif expected != found:
                for column in sorted(set(expected) | set(found)):
                    if expected.get(column, _ABSENT) != found.get(column, _ABSENT):
                        shown = records.may_show(table.name, column)
                        report(RecordProblem(
                            table.name, row_key, column,
                            expected.get(column) if shown else _NOT_SHOWN,
                            found.get(column) if shown else _NOT_SHOWN,
                        ))  # fmt: skip
            count, row, image = count + 1, next(live, None), next(images, None)
    return count


# ---- the first trail, resealed --------------------------------------------------------------------------


def _content(view: dict[str, Any]) -> tuple:
    return tuple(view[k] for k in ("at", "username", "role", "action", "entity_type", "entity_id")) + (
        view["before"], view["after"], view["reason"],
    )  # fmt: skip


def _rows(session: Session, table: Table, limit: int | None = None) -> list[dict[str, Any]]:
    query = select(*(table.c[name] for name in _COMMON)).order_by(table.c.seq).limit(limit)
    return [dict(row._mapping) for row in session.execute(query)]


def _verify_reseal(session: Session, batch: int) -> None:
    """When this database holds the first trail, prove that the two chains re-express it event for event
    (in order, nothing added, dropped or changed) and that the reseal event names its head."""
    archive = ArchivedAuditEvent.__table__
    archived_count, archived_head = _walk_archive(session, batch)
    if archived_count == 0:
        return
    ev, seals = AuditEvent.__table__, AuditSeal.__table__
    reseal = session.execute(
        select(ev.c.seq, ev.c.after, seals.c.sealed)
        .join(seals, seals.c.seq == ev.c.seq)
        .where(ev.c.action == RESEAL_ACTION, ev.c.entity_type == RESEAL_ENTITY)
        .order_by(ev.c.seq)
        .limit(1)
    ).first()
    if reseal is None:
        raise Broken("archived", None, "the first trail is kept but no reseal event re-expresses it")
    counts, sealed_head = reseal.after, reseal.sealed["after"].get("archived_head")
    if counts.get("archived_events") != archived_count or sealed_head != {
        "seq": archived_count, "hash": archived_head,
    }:  # fmt: skip
        raise Broken("sealed", reseal.seq, "the reseal event does not name the archived trail's head")
    if reseal.seq != counts.get("sealed_events", -1) + 1:
        raise Broken("sealed", reseal.seq, "events precede the reseal event that it does not account for")
    # Re-expressed events carry their original content: the unblinded reader's view of each must equal the
    # archived event, taken in order from whichever chain holds it.
    sealed_rows = session.execute(
        select(*(ev.c[name] for name in _COMMON), seals.c.sealed)
        .join(seals, seals.c.seq == ev.c.seq)
        .where(ev.c.seq < reseal.seq)
        .order_by(ev.c.seq)
    ).all()
    sealed_views = [
        {**dict(row._mapping), "before": rules.merged(row.before, row.sealed["before"]),
         "after": rules.merged(row.after, row.sealed["after"]),
         "reason": row.sealed["reason"] if row.sealed["reason"] is not None else row.reason}
        for row in sealed_rows
    ]  # fmt: skip
    unblinded_views = _rows(session, UnblindedAuditEvent.__table__, counts.get("unblinded_events", 0))
    if len(unblinded_views) != counts.get("unblinded_events"):
        raise Broken("unblinded", len(unblinded_views) + 1, "events the reseal event counts are missing")
    i = j = 0
    for archived in _rows(session, archive):
        want = _content(archived)
        if i < len(sealed_views) and _content(sealed_views[i]) == want:
            i += 1
        elif j < len(unblinded_views) and _content(unblinded_views[j]) == want:
            j += 1
        else:
            raise Broken("archived", archived["seq"], "no event of the two chains re-expresses it unchanged")
