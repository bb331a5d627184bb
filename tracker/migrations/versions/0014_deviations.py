"""deviations and CAPA: a deviation linked by public IDs to lots, containers, bags, participants and
infusions, raised by hand or once per automatic trigger and record, and QA's signed closure

Revision ID: 0014_deviations
Revises: 0013_site_data
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0014_deviations"
down_revision = "0013_site_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deviation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deviation_id", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("lot_number", sa.String(length=40), nullable=True),
        sa.Column("container_id", sa.String(length=16), nullable=True),
        sa.Column("bag_id", sa.String(length=16), nullable=True),
        sa.Column("participant_id", sa.String(length=40), nullable=True),
        sa.Column("infusion_id", sa.String(length=16), nullable=True),
        sa.Column("source_lot_number", sa.String(length=40), nullable=True),
        sa.Column("source_container_id", sa.String(length=16), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_action", sa.String(length=60), nullable=True),
        sa.Column("trigger_type", sa.String(length=30), nullable=True),
        sa.Column("trigger_id", sa.String(length=40), nullable=True),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("raised_by_role", sa.String(length=20), nullable=False),
        sa.Column("raised_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("due_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("investigation", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("corrective_action", sa.Text(), nullable=True),
        sa.Column("preventive_action", sa.Text(), nullable=True),
        sa.Column("capa_owner", sa.String(length=200), nullable=True),
        sa.Column("capa_due_at", tracker.db.UTCDateTime(), nullable=True),
        sa.Column("updated_at", tracker.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviation")),
        sa.UniqueConstraint("deviation_id", name=op.f("uq_deviation_deviation_id")),
        sa.UniqueConstraint(
            "category",
            "trigger_type",
            "trigger_id",
            name=op.f("uq_deviation_category_trigger_type_trigger_id"),
        ),
    )
    with op.batch_alter_table("deviation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deviation_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_deviation_state"), ["state"], unique=False)
    op.create_table(
        "deviation_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deviation_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("signed_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("meaning", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deviation_id"], ["deviation.id"], name=op.f("fk_deviation_closure_deviation_id_deviation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviation_closure")),
        sa.UniqueConstraint("deviation_id", name=op.f("uq_deviation_closure_deviation_id")),
    )


def downgrade() -> None:
    op.drop_table("deviation_closure")
    with op.batch_alter_table("deviation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deviation_state"))
        batch_op.drop_index(batch_op.f("ix_deviation_category"))
    op.drop_table("deviation")
