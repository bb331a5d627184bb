"""Alembic environment: runs on the connection tracker.schema.migrate hands it, holding the migration lock."""

from alembic import context

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
# tracker.schema.migrate has begun the transaction and holds the migration lock.
with context.begin_transaction():
    context.run_migrations()
