"""the data sites really have: randomization codes of up to 32 characters, unique regardless of case, and one
participant per ID regardless of case

Revision ID: 0013_site_data
Revises: 0012_accounts

A database that already holds two participant IDs (or codes) differing only by case is refused, naming them:
which of the two is the real participant is for the site to find out, not for a migration to guess.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_site_data"
down_revision = "0012_accounts"
branch_labels = None
depends_on = None

# Every column holding a randomization code: the codes themselves and the columns that refer to them.
CODE_COLUMNS = (
    ("randomization_code", "code"),
    ("participant", "randomization_code"),
    ("bag", "randomization_code"),
    ("allocation", "code"),
)


class CaseDuplicates(RuntimeError):
    pass


def _refuse_case_duplicates(table: str, column: str, what: str) -> None:
    value = sa.column(column)
    rows = sa.table(table, value)
    twins = sa.select(sa.func.upper(value)).select_from(rows).group_by(sa.func.upper(value))
    twins = twins.having(sa.func.count() > 1)
    found = (
        op.get_bind()
        .execute(
            sa.select(value)
            .select_from(rows)
            .where(sa.func.upper(value).in_(twins))
            .order_by(sa.func.upper(value), value)
        )
        .scalars()
        .all()
    )
    if found:
        raise CaseDuplicates(
            f"Cannot migrate: {what} that differ only by case: {', '.join(found)}. Decide which is right, "
            "correct the records with the sponsor, then migrate again; nothing was changed."
        )


def upgrade() -> None:
    _refuse_case_duplicates("participant", "participant_id", "participant IDs")
    _refuse_case_duplicates("randomization_code", "code", "randomization codes")
    for table, column in CODE_COLUMNS:
        # SQLite rebuilds the table (tracker/schema.py migrates it with foreign keys checked at the end).
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                column, existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False
            )
    # Expression indexes last: SQLite cannot reflect them, and a table rebuild reflects the table.
    op.create_index(
        "uq_participant_participant_key", "participant", [sa.text("upper(participant_id)")], unique=True
    )
    op.create_index(
        "uq_randomization_code_code_key", "randomization_code", [sa.text("upper(code)")], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_randomization_code_code_key", table_name="randomization_code")
    op.drop_index("uq_participant_participant_key", table_name="participant")
    for table, column in reversed(CODE_COLUMNS):
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(
                column, existing_type=sa.String(32), type_=sa.String(16), existing_nullable=False
            )
