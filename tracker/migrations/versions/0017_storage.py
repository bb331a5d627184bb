"""storage units, container moves between them, and temperature readings

Revision ID: 0017_storage
Revises: 0016_pending_release
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0017_storage"
down_revision = "0016_pending_release"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("created_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("silence_alarm_for", tracker.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_unit")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_storage_unit_unit_id")),
    )
    op.create_table(
        "storage_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("container_id", sa.String(length=16), nullable=False),
        sa.Column("from_unit", sa.String(length=40), nullable=False),
        sa.Column("to_unit", sa.String(length=40), nullable=False),
        sa.Column("rack", sa.String(length=40), nullable=False),
        sa.Column("box", sa.String(length=48), nullable=False),
        sa.Column("position", sa.String(length=8), nullable=False),
        sa.Column("at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_move")),
    )
    op.create_index("ix_storage_move_container", "storage_move", ["container_id", "at"])
    op.create_index(op.f("ix_storage_move_from_unit"), "storage_move", ["from_unit"])
    op.create_index(op.f("ix_storage_move_to_unit"), "storage_move", ["to_unit"])
    op.create_table(
        "temperature_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("temperature_c", sa.Float(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["storage_unit.id"], name=op.f("fk_temperature_reading_unit_id_storage_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_temperature_reading")),
    )
    op.create_index("ix_temperature_reading_unit_at", "temperature_reading", ["unit_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_temperature_reading_unit_at", table_name="temperature_reading")
    op.drop_table("temperature_reading")
    op.drop_index(op.f("ix_storage_move_to_unit"), table_name="storage_move")
    op.drop_index(op.f("ix_storage_move_from_unit"), table_name="storage_move")
    op.drop_index("ix_storage_move_container", table_name="storage_move")
    op.drop_table("storage_move")
    op.drop_table("storage_unit")
