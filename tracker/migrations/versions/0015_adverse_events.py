"""adverse events at infusion: the reaction the bedside records, the 24-hour sponsor clock of a serious
one, and the investigator's assessment

Revision ID: 0015_adverse_events
Revises: 0014_deviations
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0015_adverse_events"
down_revision = "0014_deviations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "adverse_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ae_id", sa.String(length=16), nullable=False),
        sa.Column("infusion_pk", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=40), nullable=False),
        sa.Column("onset_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("seriousness_criteria", sa.JSON(), nullable=False),
        sa.Column("actions_taken", sa.JSON(), nullable=False),
        sa.Column("treatment", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_by_role", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("report_due_at", tracker.db.UTCDateTime(), nullable=True),
        sa.Column("sponsor_reported_at", tracker.db.UTCDateTime(), nullable=True),
        sa.Column("sponsor_reported_by", sa.String(length=64), nullable=True),
        sa.Column("sponsor_report_note", sa.Text(), nullable=True),
        sa.Column("causality", sa.String(length=20), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("resolved_at", tracker.db.UTCDateTime(), nullable=True),
        sa.Column("assessed_by", sa.String(length=64), nullable=True),
        sa.Column("assessed_at", tracker.db.UTCDateTime(), nullable=True),
        sa.Column("updated_at", tracker.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["infusion_pk"], ["infusion.id"], name=op.f("fk_adverse_event_infusion_pk_infusion")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event")),
        sa.UniqueConstraint("ae_id", name=op.f("uq_adverse_event_ae_id")),
    )
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adverse_event_infusion_pk"), ["infusion_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_adverse_event_participant_id"), ["participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_participant_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_infusion_pk"))
    op.drop_table("adverse_event")
