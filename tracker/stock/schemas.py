"""Requests and answers of the stock API: the issue in kits, the issued kits (any reader of lots) and the
pharmacy's stock (the pharmacist only: it says what was thawed and used)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from tracker.custody.rules import CONTAINER_STATUSES
from tracker.stock.rules import MAX_CONTAINERS_PER_ISSUE, MAX_KITS_PER_ISSUE
from tracker.stock.services import PHARMACY_STATUSES
from tracker.studies.definition import MATERIALS


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("may not be blank")


_LOCATION = [validate.Length(min=1, max=120), _not_blank]


class IssueRequest(Schema):
    container_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=16)),
        required=True,
        validate=validate.Length(min=1, max=MAX_CONTAINERS_PER_ISSUE),
        metadata={
            "description": "whole kits when the study sets an issue kit (UMSIS: one UC-MSC and one vehicle)"
        },
    )
    location = fields.String(required=True, validate=_LOCATION)


class NextKitsRequest(Schema):
    """The page's "issue N kits": the next containers in store of one lot per material."""

    kits = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_KITS_PER_ISSUE))
    lots = fields.Dict(
        keys=fields.String(validate=validate.OneOf(MATERIALS)),
        values=fields.String(validate=validate.Length(min=1, max=40)),
        required=True,
    )
    location = fields.String(required=True, validate=_LOCATION)


class IssuedContainer(Schema):
    container_id = fields.String(required=True)
    lot_number = fields.String(required=True)


class IssuedKit(Schema):
    kit_id = fields.String(required=True)
    container_ids = fields.List(fields.String(), required=True)


class IssueAnswer(Schema):
    issued = fields.List(fields.Nested(IssuedContainer), required=True)
    at = fields.AwareDateTime(required=True)
    location = fields.String(required=True)
    kits = fields.List(
        fields.Nested(IssuedKit), required=True, metadata={"description": "empty when the study sets no kit"}
    )


class _KitHead(Schema):
    kit_id = fields.String(required=True)
    issued_at = fields.AwareDateTime(required=True)
    issued_by = fields.String(required=True)
    location = fields.String(required=True)


class KitOut(_KitHead):
    """An issued kit as anyone who reads lots sees it: nothing of what the pharmacy did with it since."""

    containers = fields.List(fields.Nested(IssuedContainer), required=True)


class KitList(Schema):
    items = fields.List(fields.Nested(KitOut), required=True)


class StockContainer(Schema):
    container_id = fields.String(required=True)
    lot_number = fields.String(required=True)
    material = fields.String(required=True, validate=validate.OneOf(MATERIALS))
    status = fields.String(required=True, validate=validate.OneOf(CONTAINER_STATUSES))
    in_stock = fields.Boolean(
        required=True, metadata={"description": "issued, not yet thawed, used or discarded"}
    )
    quarantined = fields.Boolean(
        required=True,
        metadata={"description": "held after a shipment's temperature excursion until QA decides"},
    )


class StockKit(_KitHead):
    containers = fields.List(fields.Nested(StockContainer), required=True)
    in_stock = fields.Boolean(
        required=True, metadata={"description": "some container of it is still in stock"}
    )


StockLot = Schema.from_dict(
    {
        "lot_number": fields.String(required=True),
        "material": fields.String(required=True, validate=validate.OneOf(MATERIALS)),
        "expires_at": fields.AwareDateTime(required=True),
        "usable": fields.Boolean(required=True),
        "disposition": fields.String(
            metadata={"description": "the lot's status as people read it (released_results_pending ...)"}
        ),
        **{status: fields.Integer(required=True) for status in PHARMACY_STATUSES},
    },
    name="StockLot",
)


class PharmacyStock(Schema):
    """The pharmacy's stock (unblinded): kits, containers issued on their own, and counts per lot."""

    kits = fields.List(fields.Nested(StockKit), required=True)
    containers = fields.List(
        fields.Nested(StockContainer), required=True, metadata={"description": "issued without a kit"}
    )
    lots = fields.List(fields.Nested(StockLot), required=True)
