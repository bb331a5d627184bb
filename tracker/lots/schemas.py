"""Requests and answers of the lot API; the same schemas validate requests and write the OpenAPI document.
Containers and lots come in two shapes: blinded readers get a container's place (`in_store`, `in_pharmacy`,
`discarded_in_lab`), unblinded readers its stored status (tracker.blinding decides who is which)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tracker.blinding import BLINDED_CONTAINER_COUNTS
from tracker.custody.rules import CONTAINER_HANDOFF_ACTIONS, CONTAINER_STATUSES
from tracker.custody.schemas import CustodyEventOut
from tracker.db import MAX_SQL_INTEGER
from tracker.lots.rules import (
    DISPOSITIONS,
    FOLLOW_UP_STATES,
    LOT_NUMBER_PATTERN,
    LOT_STATUSES,
    MAX_CONTAINERS,
)
from tracker.studies.definition import MATERIALS

_PLACE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,39}$", error="use letters, digits, space . _ / -")


class QcValue(fields.Field):
    """A number or a word: which one a test wants is the study's business, checked by the service."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValidationError("must be a number or a word")
        return value


class Storage(Schema):
    freezer = fields.String(validate=_PLACE)
    rack = fields.String(validate=_PLACE)
    box = fields.String(validate=_PLACE)


class LotCreate(Schema):
    lot_number = fields.String(
        required=True,
        validate=validate.Regexp(
            LOT_NUMBER_PATTERN.pattern, flags=2, error="1-40 letters, digits, dot, dash or underscore"
        ),
    )
    material = fields.String(required=True, validate=validate.OneOf(MATERIALS))
    site = fields.String(
        load_default=None, validate=validate.Length(min=1, max=16),
        metadata={"description": "the manufacturing site's code; default: the only one that is yours"},
    )  # fmt: skip
    manufactured_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    container_count = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_CONTAINERS)
    )
    volume_ml_per_container = fields.Float(
        required=True, validate=validate.Range(min=0, max=1000, min_inclusive=False)
    )
    cells_per_container = fields.Float(
        allow_none=True, load_default=None, validate=validate.Range(min=0, max=1e12, min_inclusive=False)
    )
    donor_code = fields.String(validate=_PLACE, metadata={"description": "cord donor code (ucmsc)"})
    cell_bank = fields.String(validate=_PLACE, metadata={"description": "cell bank (ucmsc)"})
    passage = fields.Integer(strict=True, validate=validate.Range(min=0, max=100))
    storage = fields.Nested(Storage, metadata={"description": "freezer, rack, box; defaults to a new box"})

    @validates_schema
    def _material_fields(self, data: dict, **_: Any) -> None:
        material = data.get("material")
        errors: dict[str, list[str]] = {}
        if material == "ucmsc" and data.get("cells_per_container") is None:
            errors["cells_per_container"] = ["required for a ucmsc lot"]
        if material == "placebo":
            for name in ("cells_per_container", "donor_code", "cell_bank", "passage"):
                if data.get(name) is not None:
                    errors[name] = ["must be absent for a placebo lot"]
        if errors:
            raise ValidationError(errors)


class LotQuery(Schema):
    status = fields.String(validate=validate.OneOf(LOT_STATUSES))
    material = fields.String(validate=validate.OneOf(MATERIALS))


class QcResultIn(Schema):
    test = fields.String(required=True, validate=validate.Length(min=1, max=40))
    value = QcValue(required=True)
    corrects = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_SQL_INTEGER),
        metadata={"description": "the result_id this result corrects"},
    )
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))


class ReleaseIn(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    meaning = fields.String(required=True, validate=validate.Length(min=1, max=500))


class RejectIn(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    meaning = fields.String(validate=validate.Length(min=1, max=500))


class RecallIn(RejectIn):
    pass


class HandoffIn(Schema):
    action = fields.String(required=True, validate=validate.OneOf(CONTAINER_HANDOFF_ACTIONS))
    location = fields.String(required=True, validate=validate.Length(min=1, max=120))
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    at = fields.AwareDateTime(metadata={"description": "when it happened; now when absent"})


class ContainerBlinded(Schema):
    """A container as blinded readers see it: where it is, never what the pharmacy did with it."""

    container_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(BLINDED_CONTAINER_COUNTS))
    freezer = fields.String()
    rack = fields.String()
    box = fields.String()
    position = fields.String()
    lot_number = fields.String()
    site = fields.String(metadata={"description": "the site where the container is"})


class ContainerUnblinded(ContainerBlinded):
    """A container as the pharmacist sees it: its stored status."""

    status = fields.String(required=True, validate=validate.OneOf(CONTAINER_STATUSES))


class BlindedCounts(Schema):
    """A lot's containers in the lab's store, in the pharmacy (whatever became of them there) and discarded
    in the lab: nothing the pharmacy does moves these."""

    in_store = fields.Integer(required=True)
    in_pharmacy = fields.Integer(required=True)
    discarded_in_lab = fields.Integer(required=True)


ContainerCounts = Schema.from_dict(
    {status: fields.Integer(required=True) for status in CONTAINER_STATUSES}, name="ContainerCounts"
)


class QcResultOut(Schema):
    result_id = fields.Integer(required=True)
    test = fields.String(required=True)
    value = fields.Raw(required=True)
    unit = fields.String(allow_none=True)
    specification = fields.String(required=True)
    passed = fields.Boolean(required=True, data_key="pass")
    current = fields.Boolean()
    supersedes = fields.Integer(allow_none=True)
    superseded_by = fields.Integer(allow_none=True)
    correction = fields.Boolean()
    reason = fields.String(allow_none=True)
    entered_by = fields.String()
    entered_by_name = fields.String()
    entered_at = fields.AwareDateTime()


class QcSummaryOut(Schema):
    test = fields.String(required=True)
    specification = fields.String(required=True)
    unit = fields.String(allow_none=True)
    value = fields.Raw(allow_none=True)
    result_id = fields.Integer(allow_none=True)
    state = fields.String(required=True, metadata={"description": "pass, fail or missing"})


class BlockerOut(Schema):
    problem = fields.String(required=True, metadata={"description": "missing, failed, expired or status"})
    message = fields.String(required=True)
    test = fields.String()
    specification = fields.String()
    value = fields.Raw()


class SignatureOut(Schema):
    lot_number = fields.String(required=True)
    status = fields.String(required=True)
    action = fields.String(required=True)
    signed_by = fields.String(required=True)
    signed_by_name = fields.String(required=True, metadata={"description": "printed name (21 CFR 11.50)"})
    signed_by_role = fields.String()
    signed_at = fields.AwareDateTime(required=True)
    meaning = fields.String(required=True)
    reason = fields.String(allow_none=True)
    results_pending = fields.List(
        fields.String(),
        metadata={"description": "tests released without their result (the study allowing it)"},
    )
    disposition = fields.String(
        validate=validate.OneOf(DISPOSITIONS),
        metadata={
            "description": "the status as people read it: released_results_pending while a test is pending"
        },
    )


class FollowUpOut(Schema):
    test = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(FOLLOW_UP_STATES))
    opened_at = fields.AwareDateTime(required=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    result_id = fields.Integer(allow_none=True)
    deviation_id = fields.String(allow_none=True)


class AffectedBag(Schema):
    bag_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    randomization_code = fields.String(required=True)
    status = fields.String(required=True)
    site = fields.String(required=True, metadata={"description": "the site whose pharmacy prepared the bag"})


class AffectedContainer(Schema):
    container_id = fields.String(required=True)
    status = fields.String(required=True)


class AffectedOut(Schema):
    """What a lot touched, as the reader may see it: containers for readers of lots; bags for unblinded
    readers only; participants for unblinded readers and the investigator (named as safety code-breaks)."""

    lot_number = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(DISPOSITIONS))
    follow_ups = fields.List(fields.Nested(FollowUpOut), required=True)
    containers = fields.List(fields.Nested(AffectedContainer), allow_none=True)
    bags = fields.List(fields.Nested(AffectedBag), allow_none=True)
    participants = fields.List(fields.String(), allow_none=True)


class _Lot(Schema):
    lot_number = fields.String(required=True)
    site = fields.String(metadata={"description": "the manufacturing site"})
    material = fields.String(required=True)
    status = fields.String(required=True)
    disposition = fields.String(validate=validate.OneOf(DISPOSITIONS))
    results_pending = fields.List(fields.String())
    follow_ups = fields.List(fields.Nested(FollowUpOut))
    manufactured_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    expired = fields.Boolean()
    usable = fields.Boolean()
    container_count = fields.Integer(required=True)
    volume_ml_per_container = fields.Float(required=True)
    cells_per_container = fields.Float(allow_none=True)
    donor_code = fields.String(allow_none=True)
    cell_bank = fields.String(allow_none=True)
    passage = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    created_by = fields.String()
    qc_results = fields.List(fields.Nested(QcResultOut), required=True)
    qc_summary = fields.List(fields.Nested(QcSummaryOut))
    release_blockers = fields.List(fields.Nested(BlockerOut), required=True)
    release = fields.Nested(SignatureOut, allow_none=True)
    signatures = fields.List(fields.Nested(SignatureOut))


class LotBlinded(_Lot):
    containers = fields.List(fields.Nested(ContainerBlinded), required=True)
    containers_by_status = fields.Nested(BlindedCounts, required=True)


class LotUnblinded(_Lot):
    containers = fields.List(fields.Nested(ContainerUnblinded), required=True)
    containers_by_status = fields.Nested(ContainerCounts, required=True)


class _LotSummary(Schema):
    lot_number = fields.String(required=True)
    site = fields.String()
    material = fields.String(required=True)
    status = fields.String(required=True)
    disposition = fields.String(validate=validate.OneOf(DISPOSITIONS))
    results_pending = fields.List(fields.String())
    manufactured_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    expired = fields.Boolean()
    usable = fields.Boolean()
    container_count = fields.Integer()
    released_at = fields.AwareDateTime(allow_none=True)
    release_blockers = fields.List(fields.Nested(BlockerOut))


class LotSummaryBlinded(_LotSummary):
    containers_by_status = fields.Nested(BlindedCounts, required=True)


class LotSummaryUnblinded(_LotSummary):
    containers_by_status = fields.Nested(ContainerCounts, required=True)


class LotListBlinded(Schema):
    items = fields.List(fields.Nested(LotSummaryBlinded), required=True)


class LotListUnblinded(Schema):
    items = fields.List(fields.Nested(LotSummaryUnblinded), required=True)


class HandoffBlinded(CustodyEventOut):
    class Meta:
        exclude = ("event_id",)  # tracker.blinding: a sequence over every subject's custody

    container = fields.Nested(ContainerBlinded, required=True)


class HandoffUnblinded(CustodyEventOut):
    container = fields.Nested(ContainerUnblinded, required=True)


class QuarantineDecisionIn(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("release", "destroy")))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    meaning = fields.String(validate=validate.Length(min=1, max=500))


class QuarantineOut(Schema):
    """A container's quarantine after a temperature excursion of its storage unit (containers in the lab's
    store only), and QA's signed decision once made."""

    container_id = fields.String(required=True)
    lot_number = fields.String(required=True)
    unit_id = fields.String(required=True)
    excursion_start = fields.AwareDateTime(required=True)
    excursion_end = fields.AwareDateTime(required=True)
    deviation_id = fields.String(allow_none=True)
    quarantined_at = fields.AwareDateTime(required=True)
    waiting_hours = fields.Float(allow_none=True, metadata={"description": "hours waiting for QA's decision"})
    decision = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    meaning = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_by_name = fields.String(allow_none=True, metadata={"description": "printed name (21 CFR 11.50)"})
    decided_at = fields.AwareDateTime(allow_none=True)
    status = fields.String(metadata={"description": "the container's status after the decision"})


class QuarantineList(Schema):
    items = fields.List(fields.Nested(QuarantineOut), required=True)
