"""Database plumbing: declarative base, engine with durable SQLite settings, and the unit of work."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, MetaData, Select, create_engine, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from tracker.errors import DomainError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The largest value an Integer column holds on every database (PostgreSQL's int4): input schemas cap
# integer IDs with it, so that a huge number is a 422 and not a database error.
MAX_SQL_INTEGER = 2**31 - 1


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC on every database and gives them back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored time must carry its offset")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON}


class Clock:
    """The app's one source of the time: real UTC time plus an offset.

    The offset is zero in production, which never sets it. The blinding audit runs a simulated trial day in a
    scratch database: it starts the clock in the past and moves it forward between steps, with real time still
    ticking underneath so that the app's own processing time stays real. It never moves backwards."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def start_at(self, when: dt.datetime) -> None:
        """Set the clock to `when` (in the past), once, before anything else moved it."""
        if self.offset:
            raise RuntimeError("the clock has already been moved")
        self.offset = when - dt.datetime.now(dt.UTC)

    def advance(self, delta: dt.timedelta) -> None:
        if delta < dt.timedelta():
            raise ValueError("the clock never moves backwards")
        self.offset += delta

    def advance_to(self, when: dt.datetime) -> None:
        """Move forward to `when`, or stay where it is when `when` has already passed."""
        self.advance(max(dt.timedelta(), when - self.now()))

    def reset(self) -> None:
        self.offset = dt.timedelta()


CLOCK = Clock()


def utcnow() -> dt.datetime:
    return CLOCK.now()


@contextmanager
def conflict_on_integrity_error(conflict: DomainError) -> Iterator[None]:
    """A constraint that refuses a write inside the block (a second live bag, a lot number taken) answers as
    `conflict`, saying what already exists, instead of as a server error."""
    try:
        yield
    except IntegrityError:
        raise conflict from None


def unused_id(session: Session, column: Any, make: Callable[[], str]) -> str:
    """A new random ID from `make` that `column` does not hold yet (a clash is rare; the column's unique
    constraint has the last word)."""
    while True:
        candidate = make()
        # Across every site (tracker/sites/scope.py): IDs are unique in the whole trial.
        taken = session.execute(select(column).where(column == candidate).execution_options(all_sites=True))
        if taken.first() is None:
            return candidate


def one_writer_at_a_time(session: Session, name: str) -> None:
    """Serialise a read-then-insert that no row lock can cover, because the row does not exist yet: on
    PostgreSQL an advisory lock held to the end of the transaction; SQLite writers hold the database's write
    lock from BEGIN IMMEDIATE already."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def find_one(
    session: Session, query: Select, missing: DomainError, *, lock: bool = False, of: Any = None
) -> Any:
    """The one row `query` selects, or `missing` raised. With `lock` the row is locked for update (of `of`'s
    table only, when given) and read afresh: a row this session read before waiting for the lock would
    otherwise keep its old values, and a use case would decide on them."""
    if lock:
        query = query.with_for_update(of=of).execution_options(populate_existing=True)
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise missing
    return row


def make_engine(url: str, *, connect_timeout: int | None = None) -> Engine:
    """`connect_timeout` (seconds, PostgreSQL): give up on a server that does not answer (a replica)."""
    json_options = {"json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **json_options)
        _configure_sqlite(engine)
        return engine
    connect_args = {} if connect_timeout is None else {"connect_timeout": connect_timeout}
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, connect_args=connect_args, **json_options
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):  # noqa: ANN001
        # We issue BEGIN ourselves so that writers can take the lock up front (BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a committed record survives power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn):  # noqa: ANN001
        # A writer takes the write lock before reading, so read-then-write never deadlocks or forks the chain.
        immediate = conn.get_execution_options().get("write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class UnitOfWork:
    """One transaction per use case: rolled back unless `commit()` is called.

    `lookup=True` is for a use case that reads with one statement (resolving a bearer token on every API
    call): on PostgreSQL it runs without BEGIN and ROLLBACK, two round trips fewer and nothing less, since a
    single statement sees one snapshot anyway.

    `sites`: the sites of a person who works for some of them only; the session then reads nothing of other
    sites (tracker/sites/scope.py). None is the whole trial."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        write: bool = True,
        lookup: bool = False,
        sites: tuple[str, ...] | None = None,
    ) -> None:
        if write and lookup:
            raise ValueError("a lookup only reads")
        self._factory = session_factory
        self._write = write
        self._lookup = lookup
        self._sites = sites

    def __enter__(self) -> UnitOfWork:
        self.session: Session = self._factory(execution_options={"write": self._write})
        self.session.info["sites"] = self._sites
        self.dialect = self.session.get_bind().dialect.name
        if self._lookup and self.dialect == "postgresql":
            self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()
