"""Creating and migrating the schema with Alembic; the first start and `init-db` both come here."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine


def alembic_config(connection=None) -> Config:  # noqa: ANN001
    config = Config()
    config.set_main_option("script_location", "tracker:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def at_head(engine: Engine) -> bool:
    with engine.connect() as connection:
        return _current_heads(connection) == _heads()


def migrate(engine: Engine) -> bool:
    """Bring the schema to the newest revision; returns whether anything ran.

    Several processes may start on one new database at once (app servers, CLI commands); each takes the
    migration lock and looks at the revision again under it, so only the first one migrates."""
    if at_head(engine):
        return False
    with engine.connect().execution_options(write=True) as connection:
        if connection.dialect.name != "sqlite":
            with connection.begin():
                connection.execute(text("SELECT pg_advisory_xact_lock(827366)"))
                if _current_heads(connection) == _heads():
                    return False
                command.upgrade(alembic_config(connection), "heads")
            return True
        # SQLite changes a column by rebuilding its table, which foreign keys referring to it forbid. Its
        # documented procedure: foreign keys off (only possible outside a transaction), migrate, check every
        # foreign key before committing, foreign keys on again. The transaction begins with BEGIN IMMEDIATE
        # (write=True), which is the migration lock.
        driver = connection.connection.driver_connection
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin() as transaction:
                if _current_heads(connection) == _heads():
                    return False
                command.upgrade(alembic_config(connection), "heads")
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    transaction.rollback()
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:10]}")
        finally:
            driver.execute("PRAGMA foreign_keys=ON")
    return True


def _heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())
