"""shipments of whole kits from the manufacturing site to a site pharmacy

Revision ID: 0019_shipments
Revises: 0018_container_quarantine
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0019_shipments"
down_revision = "0018_container_quarantine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.String(length=16), nullable=False),
        sa.Column("from_site", sa.String(length=120), nullable=False),
        sa.Column("destination_site", sa.String(length=40), nullable=False),
        sa.Column("shipper_unit_id", sa.String(length=40), nullable=True),
        sa.Column("courier", sa.String(length=120), nullable=True),
        sa.Column("tracking_number", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("dispatched_at", tracker.db.UTCDateTime(), nullable=True),
        sa.Column("dispatched_by", sa.String(length=64), nullable=True),
        sa.Column("received_at", tracker.db.UTCDateTime(), nullable=True),
        sa.Column("received_by", sa.String(length=64), nullable=True),
        sa.Column("minutes_out_of_range", sa.Float(), nullable=True),
        sa.Column("readings_count", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment")),
        sa.UniqueConstraint("shipment_id", name=op.f("uq_shipment_shipment_id")),
    )
    op.create_table(
        "shipment_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_pk", sa.Integer(), nullable=False),
        sa.Column("container_id", sa.String(length=16), nullable=False),
        sa.Column("lot_number", sa.String(length=40), nullable=True),
        sa.Column("kit_no", sa.Integer(), nullable=True),
        sa.Column("on_manifest", sa.Boolean(), nullable=False),
        sa.Column("received", sa.Boolean(), nullable=False),
        sa.Column("damaged", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["shipment_pk"], ["shipment.id"], name=op.f("fk_shipment_item_shipment_pk_shipment")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_item")),
    )
    op.create_index(op.f("ix_shipment_item_shipment_pk"), "shipment_item", ["shipment_pk"])


def downgrade() -> None:
    op.drop_index(op.f("ix_shipment_item_shipment_pk"), table_name="shipment_item")
    op.drop_table("shipment_item")
    op.drop_table("shipment")
