"""Thaw requests and answers (pharmacist only: a thaw is unblinded by nature)."""

from marshmallow import Schema, fields, validate


class ThawRequest(Schema):
    container_id = fields.String(required=True, validate=validate.Length(min=1, max=16))
    viable_cells_per_ml = fields.Float(
        required=True, allow_nan=False, validate=validate.Range(min=0, min_inclusive=False, max=1e10)
    )
    viability_percent = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=100))
    volume_ml = fields.Float(
        required=True, allow_nan=False, validate=validate.Range(min=0, min_inclusive=False, max=10_000)
    )
    thawed_at = fields.AwareDateTime()


class ThawAnswer(Schema):
    thaw_id = fields.String(required=True)
    container_id = fields.String(required=True)
    lot_number = fields.String(required=True)
    viable_cells_per_ml = fields.Float()
    viability_percent = fields.Float()
    volume_ml = fields.Float()
    available_ml = fields.Float()
    thawed_at = fields.AwareDateTime()
    usable = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), required=True)
    expires_at = fields.AwareDateTime(required=True)
    recorded_by = fields.String()


class ThawList(Schema):
    items = fields.List(fields.Nested(ThawAnswer), required=True)
