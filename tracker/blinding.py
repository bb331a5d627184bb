"""What is unblinded: the one declaration that schemas, the audit trail, pages, exports and the blinding audit
read. Anything not named here is blinded-safe, so a new field is shown to every reader only when it may be; a
new unblinded field is added here and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping
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
    # The first trail's head, named when it was resealed: a digest over unblinded facts.
    "audit_trail": frozenset({"archived_head"}),
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
