"""Request and answer schemas of the shipment API (lot-level: no container's use in the pharmacy)."""

from marshmallow import Schema, fields, validate

from tracker.lots.schemas import QuarantineOut
from tracker.shipments import rules

_SHORT = {"load_default": None, "validate": validate.Length(max=120)}


class ShipmentIn(Schema):
    destination_site = fields.String(required=True, validate=validate.Length(min=1, max=40))
    from_site = fields.String(**_SHORT)
    shipper_unit_id = fields.String(load_default=None, validate=validate.Length(max=40))
    courier = fields.String(**_SHORT)
    tracking_number = fields.String(**_SHORT)
    container_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=400))


class DamagedIn(Schema):
    container_id = fields.String(required=True)
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class ReceiptIn(Schema):
    container_ids = fields.List(fields.String(), required=True, validate=validate.Length(max=800))
    damaged = fields.List(fields.Nested(DamagedIn), load_default=list)
    logger_csv = fields.String(load_default=None)


class LoggerIn(Schema):
    logger_csv = fields.String(required=True, validate=validate.Length(min=1))


class ManifestLine(Schema):
    container_id = fields.String(required=True)
    lot_number = fields.String(allow_none=True)
    kit_no = fields.Integer(allow_none=True)
    received = fields.Boolean(required=True)
    damaged = fields.Boolean(required=True)
    note = fields.String(allow_none=True)


class QuarantineLine(Schema):
    """A container this shipment's excursion put in quarantine, and QA's signed decision once made."""

    container_id = fields.String(required=True)
    kit_no = fields.Integer(allow_none=True)
    excursion_start = fields.AwareDateTime(required=True)
    excursion_end = fields.AwareDateTime(required=True)
    deviation_id = fields.String(allow_none=True)
    quarantined_at = fields.AwareDateTime(required=True)
    decision = fields.String(allow_none=True, metadata={"description": "release or destroy; none while held"})
    reason = fields.String(allow_none=True)
    meaning = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_by_name = fields.String(allow_none=True, metadata={"description": "printed name (21 CFR 11.50)"})
    decided_at = fields.AwareDateTime(allow_none=True)


class ShipmentOut(Schema):
    shipment_id = fields.String(required=True)
    from_site = fields.String(required=True)
    destination_site = fields.String(required=True)
    shipper_unit_id = fields.String(allow_none=True)
    courier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(rules.STATUSES))
    created_at = fields.AwareDateTime(required=True)
    created_by = fields.String(required=True)
    dispatched_at = fields.AwareDateTime(allow_none=True)
    dispatched_by = fields.String(allow_none=True)
    received_at = fields.AwareDateTime(allow_none=True)
    received_by = fields.String(allow_none=True)
    minutes_out_of_range = fields.Float(allow_none=True)
    readings_count = fields.Integer(allow_none=True)
    manifest = fields.List(fields.Nested(ManifestLine), required=True)
    missing = fields.List(fields.String(), required=True)
    extra = fields.List(fields.String(), required=True)
    damaged = fields.List(fields.String(), required=True)
    quarantine = fields.List(fields.Nested(QuarantineLine), required=True)


class ReceiptOut(ShipmentOut):
    quarantined = fields.List(fields.String(), required=True)
    issued = fields.List(fields.String(), required=True)


class ShipmentList(Schema):
    items = fields.List(fields.Nested(ShipmentOut), required=True)


class ShipmentDecisionOut(Schema):
    """QA's one signed decision for a shipment: each container it decided, as the container's own decision
    answers."""

    shipment_id = fields.String(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(("release", "destroy")))
    containers = fields.List(fields.Nested(QuarantineOut), required=True)
