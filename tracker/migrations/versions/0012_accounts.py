"""people and accounts: one-time passwords, admin unlocks, page sessions kept on the server, and password
checks counted per client address and apart for signatures

Revision ID: 0012_accounts
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0012_accounts"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("password_change_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("password_changed_at", tracker.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("unlocked_at", tracker.db.UTCDateTime(), nullable=True))
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=12), nullable=False, server_default="sign_in")
        )
        batch_op.add_column(
            sa.Column("client_address", sa.String(length=64), nullable=False, server_default="")
        )
    op.create_table(
        "page_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", tracker.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_page_session_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_page_session_token_hash")),
    )
    with op.batch_alter_table("page_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_session_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("page_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_session_user_id"))
    op.drop_table("page_session")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_column("client_address")
        batch_op.drop_column("purpose")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("unlocked_at")
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("password_change_required")
