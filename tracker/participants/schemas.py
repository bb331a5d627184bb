"""Participant schemas. The blinded answer is its own class, without the fields declared unblinded."""

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tracker import blinding
from tracker.participants.rules import MAX_REASON_LENGTH
from tracker.pharmacy.schemas import BagBlinded, BagUnblinded
from tracker.ward.schemas import InfusionAnswer

MAX_CRITERIA = 200


class EnrolRequest(Schema):
    participant_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    site = fields.String(
        load_default=None, validate=validate.Length(min=1, max=16),
        metadata={"description": "the clinical site's code; default: the only one that is yours"},
    )  # fmt: skip
    stratum = fields.String(
        validate=validate.Length(min=1, max=8),
        metadata={"description": "Required unless onset_at is given; then it must agree with the onset"},
    )
    onset_at = fields.AwareDateTime(
        metadata={"description": "Stroke onset (ISO 8601 with offset): the stratum is derived from it"}
    )
    eligibility = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=40)),
        values=fields.Raw(allow_none=True),
        validate=validate.Length(max=MAX_CRITERIA),
        metadata={
            "description": "The eligibility checklist: criterion key -> measured number or "
            'yes/no (true/false or "yes"/"no"); when given, every criterion must be answered'
        },
    )

    @validates_schema
    def _stratum_or_onset(self, data: dict, **_: Any) -> None:
        if "stratum" not in data and "onset_at" not in data:
            raise ValidationError("Missing data for required field.", "stratum")


class Enrolled(Schema):
    participant_id = fields.String(required=True)
    site = fields.String()
    stratum = fields.String(required=True)
    randomization_code = fields.String(required=True)
    randomized_at = fields.AwareDateTime(required=True)


class CriterionAnswer(Schema):
    key = fields.String(required=True)
    category = fields.String(required=True)
    text = fields.String(required=True)
    requirement = fields.String(required=True)
    answer = fields.Raw(required=True)


class EligibilityRecord(Schema):
    study = fields.String(required=True)
    eligible = fields.Boolean(required=True)
    criteria = fields.List(fields.Nested(CriterionAnswer), required=True)


class ParticipantUnblinded(Enrolled):
    """For the pharmacist: the participant, its arm and its bag with what went into it."""

    enrolled_by = fields.String()
    onset_at = fields.AwareDateTime(allow_none=True)
    stratum_from_onset = fields.Boolean()
    onset_to_randomization_hours = fields.Float(allow_none=True)
    eligibility = fields.Nested(EligibilityRecord, allow_none=True)
    arm = fields.String(required=True)
    bag = fields.Nested(BagUnblinded, allow_none=True, dump_default=None)
    infusion = fields.Nested(InfusionAnswer, allow_none=True, dump_default=None)


class ParticipantBlinded(ParticipantUnblinded):
    """For investigator and nurse: without the fields tracker/blinding.py declares unblinded."""

    bag = fields.Nested(BagBlinded, allow_none=True, dump_default=None)

    class Meta:
        exclude = blinding.declared_in("participant", ParticipantUnblinded)


class UnblindRequest(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=MAX_REASON_LENGTH))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))


class Unblinded(Schema):
    participant_id = fields.String(required=True)
    arm = fields.String(required=True, metadata={"description": "The arm the participant was allocated to"})
    infused = fields.Boolean(required=True, metadata={"description": "Whether the participant was infused"})
    broken_at = fields.AwareDateTime()


class CodeBreakRow(Schema):
    participant_id = fields.String(required=True)
    broken_by = fields.String(required=True)
    broken_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)
    kind = fields.String(metadata={"description": "emergency (an investigator's) or safety (the system's)"})


class CodeBreakReport(Schema):
    items = fields.List(fields.Nested(CodeBreakRow), required=True)


class SafetyCodeBreakRow(Schema):
    """A participant named to the investigator by the system because a late QC result of the product given
    failed: who, when, why; never the arm (that stays behind the investigator's signed code-break)."""

    participant_id = fields.String(required=True)
    broken_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "always safety"})
    triggered_by = fields.String(required=True, metadata={"description": "always system"})


class SafetyCodeBreakList(Schema):
    items = fields.List(fields.Nested(SafetyCodeBreakRow), required=True)
