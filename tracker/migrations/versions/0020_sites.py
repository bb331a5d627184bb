"""sites: the trial's sites, the site of each record and the sites each person works for

Revision ID: 0020_sites
Revises: 0019_shipments

A database with records gains the first site, SITE-01 (both manufacturing and clinical): every record
made before sites existed belongs to it, and every account keeps working for the whole trial. A shipment's
free-text destination becomes a site of its own. A new database makes SITE-01 at its first record instead,
through the use case, so that the audit trail holds its creation (tracker/sites/services.py).
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0020_sites"
down_revision = "0019_shipments"
branch_labels = None
depends_on = None

FIRST_SITE = "SITE-01"
# The records that belong to a site (tracker/sites/models.py `AtSite`).
AT_SITE = (
    "lot", "container", "kit", "storage_unit", "participant", "bag", "thaw", "infusion", "deviation",
    "adverse_event",
)  # fmt: skip


def upgrade() -> None:
    site = op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("code", name=op.f("uq_site_code")),
    )
    now = dt.datetime.now(dt.UTC)
    made = {"created_at": now, "created_by": "system"}
    bind = op.get_bind()
    used = any(
        bind.execute(sa.select(sa.literal(1)).select_from(sa.table(t)).limit(1)).first() for t in AT_SITE
    )
    rows = [{"code": FIRST_SITE, "name": "Site 01", "kind": "both", **made}] if used else []
    destinations = bind.execute(sa.text("SELECT DISTINCT destination_site FROM shipment")).scalars().all()
    for code in sorted({(d or "").strip().upper()[:16] for d in destinations} - {"", FIRST_SITE}):
        rows.append({"code": code, "name": code, "kind": "clinical", **made})
    if rows:
        op.bulk_insert(site, rows)
    op.execute(sa.text("UPDATE shipment SET from_site = :site").bindparams(site=FIRST_SITE))
    op.execute(sa.text("UPDATE shipment SET destination_site = UPPER(TRIM(destination_site))"))

    # Plain ADD COLUMN, never a batch copy: SQLite's copy would lose the expression indexes (participant IDs
    # unique regardless of case). The default fills the old rows; PostgreSQL then drops it, so that a record
    # made without a site fails there.
    for table in AT_SITE:
        op.add_column(
            table, sa.Column("site_code", sa.String(length=16), nullable=False, server_default=FIRST_SITE)
        )
        op.create_index(op.f(f"ix_{table}_site_code"), table, ["site_code"], unique=False)
        if bind.dialect.name == "postgresql":
            op.alter_column(table, "site_code", server_default=None)
    op.add_column("notification", sa.Column("site_code", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_notification_site_code"), "notification", ["site_code"], unique=False)
    op.add_column(
        "user_account", sa.Column("site_codes", sa.String(length=200), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("user_account", "site_codes")
    op.drop_index(op.f("ix_notification_site_code"), table_name="notification")
    op.drop_column("notification", "site_code")
    for table in reversed(AT_SITE):
        op.drop_index(op.f(f"ix_{table}_site_code"), table_name=table)
        op.drop_column(table, "site_code")
    op.drop_table("site")
