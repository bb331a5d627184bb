"""What is unblinded: the one declaration that schemas, the audit trail, pages, exports and the blinding audit
read. Anything not named here is blinded-safe, so a new field is shown to every reader only when it may be; a
new unblinded field is added here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Roles that may know the allocation; every other role is blinded.
UNBLINDED_ROLES = frozenset({"pharmacist", "statistician"})

# Fields of a record that only unblinded roles may read, by the record's entity type (the audit trail's
# names). They are left out of blinded answers, pages and exports, and sealed in the audit trail.
UNBLINDED_FIELDS: Mapping[str, frozenset[str]] = {
    "participant": frozenset({"arm"}),
    # Knowing the block sizes helps a blinded person guess the last allocations of a block.
    "randomization_list": frozenset({"block_sizes"}),
    "bag": frozenset({
        "arm", "material", "lot_number", "thaw_id", "thawed_at", "container_id", "container_status",
        "placebo_lot", "drawn_volume_ml", "dose_viable_cells", "witness", "witnessed_at", "qr_payload",
        "void_reason",
    }),
    # The first trail's head, named when it was resealed (a digest over unblinded facts), and how many rows
    # each table held then (the number of thaws among them).
    "audit_trail": frozenset({"archived_head", "rows_by_table"}),
    # A custody event's ID is a sequence over every subject: between two events a blinded reader sees, its
    # gaps would count the pharmacy's moves kept from that reader (thaws, uses, discards there).
    "custody_event": frozenset({"event_id"}),
    # Beside a bag, a lot or container a deviation names is where the bag came from (its arm's material).
    "deviation": frozenset({"source_lot_number", "source_container_id"}),
    # An adverse event names its infusion, participant and bag only: nothing in it differs by arm.
    "adverse_event": frozenset(),
}  # fmt: skip

# Records whose every event is unblinded: they exist for one arm only (a thaw feeds only active bags) or
# their mere time says which material was taken. Blinded readers never see them, not even as a gap.
UNBLINDED_RECORDS = frozenset({"thaw"})
# Events of otherwise blinded records that are unblinded for the same reason: what happens to a container
# after its issue to the pharmacy (thawed for cells, used for vehicle, discarded there).
UNBLINDED_EVENTS = frozenset(
    {("container", "thaw"), ("container", "use"), ("container", "discard_in_pharmacy")}
)

# Free text that unblinded staff write about these records (a void's reason, say) may name what is in a bag.
UNBLINDED_NOTES_ON = frozenset({"bag"})

# What a blinded reader sees of a container's status: where it is, never what the pharmacy did with it. Once
# issued, a container is `in_pharmacy` whether it waits there, was thawed, used or discarded there; lot counts
# are of these three words only. Every stored status is named here (a test keeps the list whole).
BLINDED_CONTAINER_STATUSES: Mapping[str, str] = {
    "stored": "in_store",
    "discarded": "discarded_in_lab",
    "issued": "in_pharmacy",
    "thawed": "in_pharmacy",
    "used": "in_pharmacy",
    "discarded_in_pharmacy": "in_pharmacy",
}
BLINDED_CONTAINER_COUNTS = ("in_store", "in_pharmacy", "discarded_in_lab")


# Database tables whose every column is unblinded, and unblinded columns of other tables: what a tool that
# prints rows (audit verification) must not show to whoever runs it.
UNBLINDED_TABLES = frozenset({"allocation", "bag_preparation", "thaw"})
UNBLINDED_COLUMNS = frozenset(
    {("container", "status"), ("deviation", "source_lot_number"), ("deviation", "source_container_id")}
)


def column_is_unblinded(table: str, column: str) -> bool:
    return table in UNBLINDED_TABLES or (table, column) in UNBLINDED_COLUMNS


def is_unblinded(role: str) -> bool:
    return role in UNBLINDED_ROLES


def is_unblinded_event(entity_type: str, action: str) -> bool:
    """Whether an event of this kind is itself unblinded (kept out of every blinded reader's view)."""
    return entity_type in UNBLINDED_RECORDS or (entity_type, action) in UNBLINDED_EVENTS


def unblinded_fields(entity_type: str) -> frozenset[str]:
    return UNBLINDED_FIELDS.get(entity_type, frozenset())


def note_is_unblinded(entity_type: str, writer_role: str) -> bool:
    """Whether free text written by `writer_role` about this record is hidden from blinded readers."""
    return entity_type in UNBLINDED_NOTES_ON and is_unblinded(writer_role)


def split_fields(entity_type: str, data: Mapping[str, Any] | None) -> tuple[dict | None, dict]:
    """(the part every reader may see, the unblinded part) of a record's fields."""
    if data is None:
        return None, {}
    hidden = unblinded_fields(entity_type)
    return (
        {k: v for k, v in data.items() if k not in hidden},
        {k: v for k, v in data.items() if k in hidden},
    )


def declared_in(entity_type: str, schema: type) -> tuple[str, ...]:
    """The fields of a (marshmallow) answer schema that this declaration makes unblinded: the blinded
    variant of an answer excludes exactly these (`class Meta: exclude = declared_in(...)`)."""
    return tuple(sorted(set(schema._declared_fields) & unblinded_fields(entity_type)))


def blinded_view(entity_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A record's fields as a blinded reader may see them."""
    return split_fields(entity_type, data)[0] or {}


def blinded_container_status(status: str) -> str:
    """A container's status as a blinded reader may see it (`in_store`, `in_pharmacy`, `discarded_in_lab`)."""
    return BLINDED_CONTAINER_STATUSES[status]


def container_status_for(role: str, status: str) -> str:
    """The status this role may see: the stored one for unblinded roles, the blinded one for the rest."""
    return status if is_unblinded(role) else blinded_container_status(status)


def blinded_container_counts(statuses: Iterable[str]) -> dict[str, int]:
    """How many containers are in the lab's store, in the pharmacy and discarded in the lab."""
    counts = dict.fromkeys(BLINDED_CONTAINER_COUNTS, 0)
    for status in statuses:
        counts[blinded_container_status(status)] += 1
    return counts


def custody_event_for(role: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """One custody event's fields as this role may see them."""
    return dict(event) if is_unblinded(role) else blinded_view("custody_event", event)


def custody_for(role: str, subject_type: str, events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A subject's custody events as this role may see them: a blinded reader never gets an unblinded event
    (a container's custody then ends at its issue to the pharmacy), nor the fields kept from it."""
    return [
        custody_event_for(role, e)
        for e in events
        if is_unblinded(role) or not is_unblinded_event(subject_type, e["action"])
    ]
