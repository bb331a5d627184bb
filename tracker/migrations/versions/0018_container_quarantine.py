"""container quarantine after a storage unit's temperature excursion, with QA's signed decision

Revision ID: 0018_container_quarantine
Revises: 0017_storage
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0018_container_quarantine"
down_revision = "0017_storage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "container_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("container_id", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("excursion_start", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("excursion_end", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("deviation_id", sa.String(length=16), nullable=True),
        sa.Column("previous_status", sa.String(length=30), nullable=False),
        sa.Column("quarantined_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("meaning", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_by_name", sa.String(length=200), nullable=True),
        sa.Column("decided_at", tracker.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_container_quarantine")),
    )
    op.create_index("ix_container_quarantine_container", "container_quarantine", ["container_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_container_quarantine_container", table_name="container_quarantine")
    op.drop_table("container_quarantine")
