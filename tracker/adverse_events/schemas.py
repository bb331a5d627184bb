"""Request and answer schemas of the adverse event API. An answer names the infusion, the participant and
the bag at most: never an arm, material, lot, container or thaw (nothing here is in tracker/blinding.py)."""

from marshmallow import Schema, fields, validate

from tracker.adverse_events import rules

DESCRIPTION_LENGTH = 200  # SDTM AETERM: at most 200 characters
_TEXT = validate.Length(min=1, max=2000)


class AdverseEventIn(Schema):
    onset_at = fields.AwareDateTime(required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=DESCRIPTION_LENGTH))
    grade = fields.Integer(required=True, strict=True, validate=validate.OneOf(rules.GRADES))
    serious = fields.Boolean(required=True)
    seriousness_criteria = fields.List(
        fields.String(validate=validate.OneOf(rules.SERIOUSNESS_CRITERIA)), load_default=list
    )
    # An empty list is refused by the rule, which says what to choose.
    actions_taken = fields.List(fields.String(validate=validate.OneOf(rules.ACTIONS)), required=True)
    treatment = fields.String(load_default=None, validate=_TEXT)


class AssessmentIn(Schema):
    causality = fields.String(required=True, validate=validate.OneOf(rules.CAUSALITIES))
    outcome = fields.String(required=True, validate=validate.OneOf(rules.OUTCOMES))
    resolved_at = fields.AwareDateTime(load_default=None)


class SponsorReportIn(Schema):
    reported_at = fields.AwareDateTime(required=True)
    note = fields.String(load_default=None, validate=_TEXT)


class AdverseEventQuery(Schema):
    serious = fields.Boolean(load_default=None)
    open = fields.Boolean(load_default=None)
    infusion_id = fields.String(load_default=None, validate=validate.Length(min=1, max=40))


class AdverseEventOut(Schema):
    ae_id = fields.String(required=True)
    infusion_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    bag_id = fields.String(required=True)
    onset_at = fields.AwareDateTime(required=True)
    description = fields.String(required=True)
    grade = fields.Integer(required=True)
    serious = fields.Boolean(required=True)
    seriousness_criteria = fields.List(fields.String(), required=True)
    actions_taken = fields.List(fields.String(), required=True)
    treatment = fields.String(allow_none=True)
    recorded_by = fields.String(required=True)
    recorded_by_role = fields.String(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    report_due_at = fields.AwareDateTime(allow_none=True)
    sponsor_reported_at = fields.AwareDateTime(allow_none=True)
    sponsor_reported_by = fields.String(allow_none=True)
    sponsor_report_note = fields.String(allow_none=True)
    overdue = fields.Boolean(required=True)
    reported_late = fields.Boolean(required=True)
    causality = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    assessed_by = fields.String(allow_none=True)
    assessed_at = fields.AwareDateTime(allow_none=True)
    open = fields.Boolean(required=True)
    updated_at = fields.AwareDateTime(required=True)


class AdverseEventList(Schema):
    items = fields.List(fields.Nested(AdverseEventOut), required=True)
