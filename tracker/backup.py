"""Backup and restore of the whole database: the SQLite online backup API, or pg_dump and pg_restore. A
restore proves the backup in a scratch database before it replaces anything."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess  # noqa: S404 - runs pg_dump/pg_restore with argument lists, never a shell
import tempfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from tracker.db import make_engine
from tracker.errors import Conflict, Invalid
from tracker.schema import migrate


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The libpq URL without its password, and an environment carrying it (never on a command line)."""
    url = engine.url.set(drivername="postgresql")
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(password=None).render_as_string(hide_password=False), env


def _sqlite_path(engine: Engine) -> str:
    return make_url(str(engine.url)).database or ""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise Conflict(f"{name} is not installed: install the PostgreSQL client tools", code="tool_missing")
    return path


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the live database to `target` (it must not exist yet), readable by its
    owner only: it holds the allocation with its arms."""
    if target.exists():
        raise Conflict(f"{target} already exists: choose a new file name", code="backup_exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600, exist_ok=False)
    target.chmod(0o600)  # whatever the umask
    try:
        _write_backup(engine, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _write_backup(engine: Engine, target: Path) -> None:
    if engine.dialect.name == "sqlite":
        _copy_sqlite(_sqlite_path(engine), str(target))  # a consistent snapshot while others keep writing
        return
    url, env = _libpq(engine)
    result = subprocess.run(  # noqa: S603 - fixed argument list
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), url],
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        raise Conflict(f"pg_dump failed: {result.stderr.strip()[:500]}", code="backup_failed")


# Proves a restored copy before it may replace the live database: the problem in words, or None.
Check = Callable[[Engine], str | None]


def restore(engine: Engine, source: Path, check: Check) -> None:
    """Replace the database's content with the backup at `source`, but only after the backup, restored into
    a scratch database and migrated there, passes `check`; otherwise the live database is not touched."""
    if not source.is_file():
        raise Invalid(f"{source} is not a backup file", code="no_backup")
    if engine.dialect.name == "sqlite":
        _restore_sqlite(engine, source, check)
    else:
        _restore_postgresql(engine, source, check)


def _refuse(problem: str) -> Conflict:
    return Conflict(
        f"The backup was not restored: {problem}. The live database was not touched.", code="backup_broken"
    )


def _checked(scratch: Engine, check: Check) -> str | None:
    try:
        migrate(scratch)
        return check(scratch)
    except SQLAlchemyError as exc:
        return f"it cannot be read as a database of this tracker ({type(exc).__name__})"
    finally:
        scratch.dispose()


def _restore_sqlite(engine: Engine, source: Path, check: Check) -> None:
    live = Path(_sqlite_path(engine))
    with tempfile.TemporaryDirectory(dir=live.parent, prefix="restore-") as folder:
        scratch = Path(folder) / "restore-check.db"
        try:
            with (
                sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup_db,
                sqlite3.connect(scratch) as copy,
            ):
                backup_db.backup(copy)
        except sqlite3.DatabaseError:
            raise _refuse("it is not an SQLite database") from None
        problem = _checked(make_engine(f"sqlite:///{scratch}"), check)
        if problem:
            raise _refuse(problem)
        engine.dispose()  # nothing of ours may hold the old database open
        _copy_sqlite(str(scratch), str(live))


def _copy_sqlite(source: str, target: str) -> None:
    """SQLite's online backup from one database file (or read-only URI) into another, both closed after."""
    with closing(sqlite3.connect(source, uri=source.startswith("file:"))) as origin:
        with closing(sqlite3.connect(target)) as copy:
            origin.backup(copy)


def _restore_postgresql(engine: Engine, source: Path, check: Check) -> None:
    url, env = _libpq(engine)
    name = f"tracker_restore_{secrets.token_hex(6)}"
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        try:
            create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            conn.connection.driver_connection.execute(create)
        except psycopg.errors.InsufficientPrivilege:
            user = engine.url.username or "the database user"
            raise Conflict(
                f"The backup was not restored: {user} may not create databases, and a restore proves the "
                f"backup in a scratch database first. As PostgreSQL's superuser: ALTER ROLE {user} CREATEDB. "
                "The live database was not touched.",
                code="restore_needs_createdb",
            ) from None
    try:
        scratch_url = make_url(url).set(database=name).render_as_string(hide_password=False)
        result = _pg_restore(["--no-owner", "--dbname", scratch_url, str(source)], env)
        if result.returncode != 0:
            raise _refuse(f"pg_restore could not read it ({result.stderr.strip()[:300]})")
        scratch = engine.url.set(database=name)
        problem = _checked(make_engine(scratch.render_as_string(hide_password=False)), check)
        if problem:
            raise _refuse(problem)
    finally:
        with admin.connect() as conn:
            conn.connection.driver_connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    engine.dispose()  # nothing of ours may hold the old database open
    result = _pg_restore(["--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", url,
                          str(source)], env)  # fmt: skip
    if result.returncode != 0:
        raise Conflict(f"pg_restore failed: {result.stderr.strip()[:500]}", code="restore_failed")


def _pg_restore(arguments: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed argument list
        [_tool("pg_restore"), *arguments], capture_output=True, text=True, env=env
    )
