"""randomization lists, allocation, participants, code-breaks, notification outbox

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("sent_at", tracker.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "randomization_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("code_count", sa.Integer(), nullable=False),
        sa.Column("created_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_randomization_list")),
        sa.UniqueConstraint("commitment", name=op.f("uq_randomization_list_commitment")),
    )
    op.create_table(
        "randomization_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stratum", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["randomization_list.id"],
            name=op.f("fk_randomization_code_list_id_randomization_list"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_randomization_code")),
        sa.UniqueConstraint("code", name=op.f("uq_randomization_code_code")),
        sa.UniqueConstraint("list_id", "position", name="uq_randomization_code_list_position"),
    )
    with op.batch_alter_table("randomization_code", schema=None) as batch_op:
        batch_op.create_index(
            "ix_randomization_code_stratum_order", ["stratum", "list_id", "position"], unique=False
        )

    op.create_table(
        "allocation",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("arm", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"], ["randomization_code.code"], name="fk_allocation_code_randomization_code"
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_allocation")),
    )
    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=40), nullable=False),
        sa.Column("stratum", sa.String(length=8), nullable=False),
        sa.Column("randomization_code", sa.String(length=16), nullable=False),
        sa.Column("randomized_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("enrolled_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["randomization_code"],
            ["randomization_code.code"],
            name=op.f("fk_participant_randomization_code_randomization_code"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant")),
        sa.UniqueConstraint("participant_id", name=op.f("uq_participant_participant_id")),
        sa.UniqueConstraint("randomization_code", name=op.f("uq_participant_randomization_code")),
    )
    op.create_table(
        "code_break",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_pk", sa.Integer(), nullable=False),
        sa.Column("broken_by", sa.String(length=64), nullable=False),
        sa.Column("broken_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_pk"], ["participant.id"], name=op.f("fk_code_break_participant_pk_participant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_break")),
    )
    with op.batch_alter_table("code_break", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_code_break_participant_pk"), ["participant_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("code_break", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_break_participant_pk"))

    op.drop_table("code_break")
    op.drop_table("participant")
    op.drop_table("allocation")
    with op.batch_alter_table("randomization_code", schema=None) as batch_op:
        batch_op.drop_index("ix_randomization_code_stratum_order")

    op.drop_table("randomization_code")
    op.drop_table("randomization_list")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_sent_at"))

    op.drop_table("notification")
