"""the rows earlier migrations changed, recorded in the audit trail

Migrations since the trail began keeping row images (0011) added columns to record tables, and 0020 gave
every old record a site, made the first sites and rewrote shipments' sites, all without an event: `audit
verify` would hold those rows to images without the change and report them. One `migrate` event by the system
records their new images (tracker/audit/upgrades.py). A new database, or one without such rows, gets no event.

Revision ID: 0021_migrated_rows_audited
Revises: 0020_sites
"""

from alembic import op

revision = "0021_migrated_rows_audited"
down_revision = "0020_sites"
branch_labels = None
depends_on = None

FIRST_SITE = "SITE-01"  # 0020's


def _shipment_sites(old: dict) -> dict:
    # What 0020 did to each shipment: SET from_site = 'SITE-01', destination_site = UPPER(TRIM(...)).
    return {"from_site": FIRST_SITE, "destination_site": old["destination_site"].strip(" ").upper()}


def _made_by_0020(row: dict) -> bool:
    if row["created_by"] != "system":
        return False
    first = (row["code"], row["name"], row["kind"]) == (FIRST_SITE, "Site 01", "both")
    return first or (row["kind"] == "clinical" and row["name"] == row["code"])


def upgrade() -> None:
    from tracker.audit.upgrades import record_migrated_rows

    record_migrated_rows(
        op.get_bind(),
        revision,
        "Rows changed by the schema's migrations (new columns with their values for existing rows, the first "
        "sites and shipments' sites as codes), recorded as they now stand.",
        rewritten={"shipment": _shipment_sites},
        # 0020's sites, as it made them (a site made through the app has its own event).
        made={"site": _made_by_0020},
    )


def downgrade() -> None:
    pass  # the event stays: the trail is append-only
