"""release with results pending: a lot's follow-up of each QC test still pending at its release, and the
kind of a code-break (an investigator's emergency one, or a safety one the system makes after a late result
fails)

Revision ID: 0016_pending_release
Revises: 0014_deviations
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0016_pending_release"
down_revision = "0015_adverse_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lot_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("test", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("closed_at", tracker.db.UTCDateTime(), nullable=True),
        sa.Column("result_id", sa.Integer(), nullable=True),
        sa.Column("deviation_id", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["lot_id"], ["lot.id"], name=op.f("fk_lot_follow_up_lot_id_lot")),
        sa.ForeignKeyConstraint(
            ["result_id"], ["qc_result.id"], name=op.f("fk_lot_follow_up_result_id_qc_result")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_follow_up")),
        sa.UniqueConstraint("lot_id", "test", name=op.f("uq_lot_follow_up_lot_id_test")),
    )
    with op.batch_alter_table("code_break", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="emergency", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("code_break", schema=None) as batch_op:
        batch_op.drop_column("kind")
    op.drop_table("lot_follow_up")
