"""Alembic environment: runs on the connection the app hands it, one migrator at a time."""

from alembic import context
from sqlalchemy import text

from tracker.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    transaction_per_migration=False,
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Two processes starting at once must not both migrate.
        connection.execute(text("SELECT pg_advisory_xact_lock(827366)"))
    context.run_migrations()
