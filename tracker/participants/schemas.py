"""Participant schemas. The blinded answer is its own class with no arm field at all (not a filtered one)."""

from marshmallow import Schema, fields, validate

from tracker.doses.schemas import BagBlinded, BagUnblinded
from tracker.participants.rules import MAX_REASON_LENGTH


class EnrolRequest(Schema):
    participant_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    stratum = fields.String(required=True, validate=validate.Length(min=1, max=8))


class Enrolled(Schema):
    participant_id = fields.String(required=True)
    stratum = fields.String(required=True)
    randomization_code = fields.String(required=True)
    randomized_at = fields.AwareDateTime(required=True)


class ParticipantBlinded(Enrolled):
    """For investigator and nurse."""

    enrolled_by = fields.String()
    bag = fields.Nested(BagBlinded, allow_none=True, dump_default=None)
    infusion = fields.Raw(allow_none=True, dump_default=None)


class ParticipantUnblinded(ParticipantBlinded):
    """For the pharmacist."""

    arm = fields.String(required=True)
    bag = fields.Nested(BagUnblinded, allow_none=True, dump_default=None)


class UnblindRequest(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=MAX_REASON_LENGTH))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))


class Unblinded(Schema):
    participant_id = fields.String(required=True)
    arm = fields.String(required=True)
    broken_at = fields.AwareDateTime()


class CodeBreakRow(Schema):
    participant_id = fields.String(required=True)
    broken_by = fields.String(required=True)
    broken_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)


class CodeBreakReport(Schema):
    items = fields.List(fields.Nested(CodeBreakRow), required=True)
