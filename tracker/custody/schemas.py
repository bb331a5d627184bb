"""Custody events as the API shows them (containers now, bags later)."""

from marshmallow import Schema, fields


class CustodyEventOut(Schema):
    event_id = fields.Integer(required=True)
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
