"""Database plumbing: declarative base, engine with durable SQLite settings, and the unit of work."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

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


def make_engine(url: str) -> Engine:
    json_options = {"json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **json_options)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **json_options)


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
    single statement sees one snapshot anyway."""

    def __init__(
        self, session_factory: sessionmaker[Session], *, write: bool = True, lookup: bool = False
    ) -> None:
        if write and lookup:
            raise ValueError("a lookup only reads")
        self._factory = session_factory
        self._write = write
        self._lookup = lookup

    def __enter__(self) -> UnitOfWork:
        self.session: Session = self._factory(execution_options={"write": self._write})
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
