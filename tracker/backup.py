"""Backup and restore of the whole database: the SQLite online backup API, or pg_dump and pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # noqa: S404 - runs pg_dump/pg_restore with argument lists, never a shell
from pathlib import Path

from sqlalchemy.engine import Engine, make_url

from tracker.errors import Conflict, Invalid


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
    """Write a consistent copy of the live database to `target` (it must not exist yet)."""
    if target.exists():
        raise Conflict(f"{target} already exists: choose a new file name", code="backup_exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(_sqlite_path(engine)) as source, sqlite3.connect(target) as copy:
            source.backup(copy)  # a consistent snapshot while others keep writing
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


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's content with the backup at `source`."""
    if not source.is_file():
        raise Invalid(f"{source} is not a backup file", code="no_backup")
    engine.dispose()  # nothing of ours may hold the old database open
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(source) as backup_db, sqlite3.connect(_sqlite_path(engine)) as live:
            backup_db.backup(live)
        return
    url, env = _libpq(engine)
    result = subprocess.run(  # noqa: S603 - fixed argument list
        [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", url,
         str(source)],
        capture_output=True,
        text=True,
        env=env,
    )  # fmt: skip
    if result.returncode != 0:
        raise Conflict(f"pg_restore failed: {result.stderr.strip()[:500]}", code="restore_failed")
