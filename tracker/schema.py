"""Creating and migrating the schema with Alembic; the first start and `init-db` both come here."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine


def alembic_config(connection=None) -> Config:  # noqa: ANN001
    config = Config()
    config.set_main_option("script_location", "tracker:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def at_head(engine: Engine) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def migrate(engine: Engine) -> bool:
    """Bring the schema to the newest revision; returns whether anything ran."""
    if at_head(engine):
        return False
    with engine.connect().execution_options(write=True) as connection:
        command.upgrade(alembic_config(connection), "heads")
        connection.commit()
    return True
