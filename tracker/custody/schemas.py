"""Custody events as the API shows them, and the requests that record a bag's handoffs."""

from marshmallow import Schema, ValidationError, fields, validate

from tracker.custody.rules import BAG_HANDOFF_ACTIONS


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("may not be blank")


class CustodyEventOut(Schema):
    event_id = fields.Integer(metadata={"description": "unblinded readers only (tracker.blinding)"})
    subject_type = fields.String(required=True)
    subject_id = fields.String(required=True)
    action = fields.String(required=True)
    location = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    user = fields.String(required=True)
    role = fields.String(required=True)
    note = fields.String(allow_none=True)
    seal_intact = fields.Boolean(allow_none=True)
    temperature_c = fields.Float(allow_none=True)


class CustodyEventList(Schema):
    events = fields.List(fields.Nested(CustodyEventOut), required=True)


class HandoffRequest(Schema):
    action = fields.String(required=True, validate=validate.OneOf(BAG_HANDOFF_ACTIONS))
    location = fields.String(required=True, validate=[validate.Length(min=1, max=120), _not_blank])
    note = fields.String(validate=validate.Length(max=2000))
    reason = fields.String(validate=validate.Length(max=2000))
    at = fields.AwareDateTime()
    seal_intact = fields.Boolean()
    temperature_c = fields.Float(allow_nan=False, validate=validate.Range(min=-273.15, max=100))


class BagCustodyEvent(Schema):
    """One line of a bag's timeline: a handoff, a scan or the infusion."""

    kind = fields.String(required=True)
    action = fields.String(required=True)
    location = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    user = fields.String(required=True)
    role = fields.String(required=True)
    note = fields.String(allow_none=True)
    seal_intact = fields.Boolean(allow_none=True)
    temperature_c = fields.Float(allow_none=True)
    result = fields.String()
    participant_id = fields.String()
    scan_id = fields.String()
    infusion_id = fields.String()


class HandoffAnswer(BagCustodyEvent):
    bag_status = fields.String(required=True)
    quarantined = fields.Boolean(required=True)
    quarantine_reasons = fields.List(fields.String(), required=True)


class BagCustodyList(Schema):
    events = fields.List(fields.Nested(BagCustodyEvent), required=True)


class QuarantineDecision(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("release", "destroy")))
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000), _not_blank])


class QuarantineAnswer(Schema):
    bag_id = fields.String(required=True)
    decision = fields.String(required=True)
    status = fields.String(required=True)
    quarantined = fields.Boolean(required=True)
