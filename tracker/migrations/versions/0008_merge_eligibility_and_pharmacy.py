"""Join the eligibility and pharmacy branches into one history.

Revision ID: 0008
Revises: 0005, 0006
"""

revision = "0008"
down_revision = ("0005", "0006")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
