"""the audit trail in two chains with seals; the first trail kept and resealed

The first trail hashed unblinded facts without salt, so its hashes were an oracle for a blinded reader who
guessed them. Its rows are moved, unchanged, to `audit_event_v1`, which no reader is shown and `audit verify`
still proves; every event is then written again, in order and with its original time, user and content,
into the sealed chain (unblinded facts under a salted seal) or the unblinded chain, and a last `reseal` event
records how many events went where and the first trail's head. `audit verify` proves the correspondence
event for event.

Revision ID: 0011
Revises: 0010_stock
"""

import sqlalchemy as sa
from alembic import op

import tracker.db

revision = "0011"
down_revision = "0010_stock"
branch_labels = None
depends_on = None

_COLUMNS = (
    "seq", "at", "username", "role", "action", "entity_type", "entity_id", "before", "after", "reason",
    "prev_hash", "hash", "canonical",
)  # fmt: skip


def _event_columns() -> list[sa.Column]:
    return [
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", tracker.db.UTCDateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("canonical", sa.LargeBinary(), nullable=False),
    ]


def upgrade() -> None:
    archive = op.create_table(
        "audit_event_v1", *_event_columns(), sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event_v1"))
    )
    first_trail = sa.table("audit_event", *(sa.column(name) for name in _COLUMNS))
    op.execute(sa.insert(archive).from_select(_COLUMNS, sa.select(*first_trail.c)))
    op.execute("DELETE FROM audit_event")
    op.execute("DELETE FROM audit_head")
    with op.batch_alter_table("audit_event", schema=None, recreate="always") as batch_op:
        batch_op.add_column(sa.Column("seal", sa.String(length=64), nullable=False))
    op.create_table(
        "audit_seal",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("salt", sa.LargeBinary(), nullable=False),
        sa.Column("sealed", sa.JSON(), nullable=False),
        sa.Column("canonical", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["audit_event.seq"], name=op.f("fk_audit_seal_seq_audit_event")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_seal")),
    )
    unblinded_columns = _event_columns()
    unblinded_columns.insert(10, sa.Column("records", sa.String(length=64), nullable=False))
    op.create_table(
        "audit_unblinded_event",
        *unblinded_columns,
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_unblinded_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_unblinded_event_hash")),
    )
    op.create_table(
        "audit_record",
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chain", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", sa.String(length=80), nullable=False),
        sa.Column("image", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("n", name=op.f("pk_audit_record")),
    )
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.create_index("ix_audit_record_event", ["chain", "seq", "n"], unique=False)
        batch_op.create_index("ix_audit_record_row", ["table_name", "row_key", "n"], unique=False)
    with op.batch_alter_table("audit_unblinded_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_unblinded_event_entity", ["entity_type", "entity_id", "seq"], unique=False
        )
    _reseal(op.get_bind(), archive)
    _baseline(op.get_bind())


def _reseal(conn: sa.Connection, archive: sa.Table) -> None:
    # The app's own writer, so that resealed events are written exactly as new ones are.
    from tracker.audit.services import append_event

    rows = conn.execute(sa.select(archive).order_by(archive.c.seq)).all()
    if not rows:
        return
    counts = {"sealed": 0, "unblinded": 0}
    for row in rows:
        chain = append_event(
            conn, at=row.at, username=row.username, role=row.role, action=row.action,
            entity_type=row.entity_type, entity_id=row.entity_id, before=row.before, after=row.after,
            reason=row.reason, images=[],
        )  # fmt: skip
        counts[chain] += 1
    append_event(
        conn, at=tracker.db.utcnow(), username="system", role="admin", action="reseal",
        entity_type="audit_trail", entity_id="audit_event_v1", before=None,
        after={
            "archived_events": len(rows), "sealed_events": counts["sealed"],
            "unblinded_events": counts["unblinded"],
            "archived_head": {"seq": rows[-1].seq, "hash": rows[-1].hash},
        },
        reason="The first trail hashed unblinded facts without salt: resealed into a sealed and an "
        "unblinded chain; the first trail is kept unchanged in audit_event_v1.", images=[],
    )  # fmt: skip


def _baseline(conn: sa.Connection) -> None:
    """The first trail kept no row images: one event records the image of every record row as it stands, so
    that from here on `audit verify` can hold each row to the trail."""
    from tracker.audit.records import NOT_RECORDS, image_of, row_key
    from tracker.audit.services import append_event

    metadata = sa.MetaData()
    names = [n for n in sa.inspect(conn).get_table_names() if n not in NOT_RECORDS and n != "alembic_version"]
    images, rows_by_table = [], {}
    for name in sorted(names):
        table = sa.Table(name, metadata, autoload_with=conn)
        (key,) = table.primary_key.columns
        rows = [row._mapping for row in conn.execute(sa.select(table).order_by(key))]
        images += [(name, row_key(table, dict(row)), image_of(table, dict(row))) for row in rows]
        rows_by_table[name] = len(rows)
    if not images:
        return
    append_event(
        conn, at=tracker.db.utcnow(), username="system", role="admin", action="baseline_records",
        entity_type="audit_trail", entity_id="records", before=None, after={"rows_by_table": rows_by_table},
        reason="The trail keeps the image of every row it describes from now on; this event records each "
        "row as it stood when the trail was resealed.", images=images,
    )  # fmt: skip


def downgrade() -> None:
    raise NotImplementedError("The resealed trail is not turned back into the first one.")
