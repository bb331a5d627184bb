"""Scan and infusion schemas: the same fields for every bag, whatever is in it."""

from marshmallow import Schema, fields, validate

from tracker.fields import ErrorDetail, ScannerText

MAX_TEXT_LENGTH = 2000


class ScanRequest(Schema):
    # Whatever the scanner typed: the service reads it, records it and says why it is refused.
    qr_payload = ScannerText(required=True, validate=validate.Length(max=4096))
    participant_id = ScannerText(required=True, validate=validate.Length(max=200))


class ScanMatch(Schema):
    match = fields.Boolean(required=True)
    scan_id = fields.String(required=True)
    bag_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    randomization_code = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    scanned_at = fields.AwareDateTime(required=True)


class ScanRefusal(Schema):
    """A recorded refusal carries `match: false` and its scan; a body the API cannot read carries neither."""

    match = fields.Boolean()
    scan_id = fields.String()
    error = fields.Nested(ErrorDetail, required=True)


_VOLUME = validate.Range(min=0, min_inclusive=False, max=10_000)


class InfusionStart(Schema):
    bag_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    participant_id = ScannerText(required=True, validate=validate.Length(min=1, max=200))
    started_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime()
    volume_infused_ml = fields.Float(allow_nan=False, validate=_VOLUME)
    note = fields.String(validate=validate.Length(max=MAX_TEXT_LENGTH))
    cosigner_username = fields.String(validate=validate.Length(max=64))
    cosigner_password = fields.String(load_only=True, validate=validate.Length(max=1024))


class InfusionEnd(Schema):
    completed_at = fields.AwareDateTime(required=True)
    volume_infused_ml = fields.Float(allow_nan=False, validate=_VOLUME)
    note = fields.String(validate=validate.Length(max=MAX_TEXT_LENGTH))


class Cosignature(Schema):
    user = fields.String(required=True)
    name = fields.String(required=True)
    at = fields.AwareDateTime(required=True)
    meaning = fields.String(required=True)


class InfusionAnswer(Schema):
    infusion_id = fields.String(required=True)
    bag_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    randomization_code = fields.String(required=True)
    started_at = fields.AwareDateTime(required=True)
    started_by = fields.String(required=True)
    completed_at = fields.AwareDateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    volume_infused_ml = fields.Float(allow_none=True)
    note = fields.String(allow_none=True)
    cosignature = fields.Nested(Cosignature, allow_none=True)
