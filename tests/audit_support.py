"""Changing the database behind the app's back, as someone with write access to it could: what the audit
trail's verification must catch."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from sqlalchemy import text


def tamper(app: Any, *statements: Any, foreign_keys_off: bool = False, **params: Any) -> None:
    """Run SQL text (with `params`) or Core statements in one transaction; with `foreign_keys_off`, the
    database's foreign keys are switched off first, so that a row others point to can go."""
    engine = app.extensions["tracker"].engine
    compiled = [text(s) if isinstance(s, str) else s for s in statements]
    if foreign_keys_off and engine.dialect.name == "sqlite":
        # SQLite switches foreign keys only outside a transaction, on a connection of its own.
        with closing(sqlite3.connect(engine.url.database, isolation_level=None)) as raw:
            raw.execute("PRAGMA foreign_keys = OFF")
            for statement in compiled:
                raw.execute(
                    str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
                )
        return
    with engine.connect().execution_options(write=True) as conn:
        if foreign_keys_off:
            conn.exec_driver_sql("SET session_replication_role = replica")
        for statement in compiled:
            conn.execute(statement, params)
        conn.commit()
