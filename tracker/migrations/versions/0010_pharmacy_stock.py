"""the pharmacy's stock: issue kits and their containers; room for the status `discarded_in_pharmacy`

Revision ID: 0010_stock
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0010_stock"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kit_id", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=120), nullable=False),
        sa.Column("issued_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_by_role", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit")),
        sa.UniqueConstraint("kit_id", name=op.f("uq_kit_kit_id")),
    )
    op.create_table(
        "kit_container",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kit_pk", sa.Integer(), nullable=False),
        sa.Column("container_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["container_pk"], ["container.id"], name=op.f("fk_kit_container_container_pk_container")
        ),
        sa.ForeignKeyConstraint(["kit_pk"], ["kit.id"], name=op.f("fk_kit_container_kit_pk_kit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kit_container")),
        sa.UniqueConstraint("container_pk", name=op.f("uq_kit_container_container_pk")),
    )
    with op.batch_alter_table("kit_container", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kit_container_kit_pk"), ["kit_pk"], unique=False)
    # `discarded_in_pharmacy` is 21 characters. SQLite does not enforce a VARCHAR's length, and rebuilding the
    # container table (which thaws reference) is refused under foreign keys, so only other databases widen it.
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "container", "status", existing_type=sa.String(length=20), type_=sa.String(length=30),
            existing_nullable=False,
        )  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "container", "status", existing_type=sa.String(length=30), type_=sa.String(length=20),
            existing_nullable=False,
        )  # fmt: skip
    with op.batch_alter_table("kit_container", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kit_container_kit_pk"))
    op.drop_table("kit_container")
    op.drop_table("kit")
