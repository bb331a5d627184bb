"""Participant: stroke onset and the eligibility checklist answered at enrolment.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("onset_at", tracker.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("eligibility", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("eligibility")
        batch_op.drop_column("onset_at")
