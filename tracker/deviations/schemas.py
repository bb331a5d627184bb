"""Request and answer schemas of the deviation API; the blinded answer leaves out what tracker/blinding.py
declares unblinded for a deviation (a bag's source lot and container)."""

from marshmallow import Schema, fields, validate

from tracker.blinding import declared_in
from tracker.deviations import rules

_TEXT = {"validate": validate.Length(min=1, max=5000)}
_ID = {"load_default": None, "validate": validate.Length(min=1, max=40)}


class DeviationIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(required=True, **_TEXT)
    category = fields.String(required=True, validate=validate.OneOf(rules.CATEGORIES))
    lot_number = fields.String(**_ID)
    container_id = fields.String(**_ID)
    bag_id = fields.String(**_ID)
    participant_id = fields.String(**_ID)
    infusion_id = fields.String(**_ID)
    due_at = fields.AwareDateTime(load_default=None)


class DeviationQuery(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf(rules.STATES))
    category = fields.String(load_default=None, validate=validate.OneOf(rules.CATEGORIES))
    overdue = fields.Boolean(load_default=None)


class TransitionIn(Schema):
    to = fields.String(required=True, validate=validate.OneOf(rules.STATES))
    investigation = fields.String(**_TEXT)
    root_cause = fields.String(**_TEXT)
    corrective_action = fields.String(**_TEXT)
    preventive_action = fields.String(**_TEXT)
    capa_owner = fields.String(validate=validate.Length(min=1, max=200))
    capa_due_at = fields.AwareDateTime()


class CloseIn(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=1024))
    meaning = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ClosureOut(Schema):
    signed_by = fields.String(required=True)
    signed_by_name = fields.String(required=True)
    signed_at = fields.AwareDateTime(required=True)
    meaning = fields.String(required=True)


class DeviationUnblinded(Schema):
    deviation_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    category = fields.String(required=True)
    state = fields.String(required=True)
    lot_number = fields.String(allow_none=True)
    container_id = fields.String(allow_none=True)
    bag_id = fields.String(allow_none=True)
    participant_id = fields.String(allow_none=True)
    infusion_id = fields.String(allow_none=True)
    source_lot_number = fields.String(allow_none=True)
    source_container_id = fields.String(allow_none=True)
    source = fields.String(required=True)
    source_action = fields.String(allow_none=True)
    raised_by = fields.String(required=True)
    raised_by_role = fields.String(required=True)
    raised_at = fields.AwareDateTime(required=True)
    due_at = fields.AwareDateTime(required=True)
    overdue = fields.Boolean(required=True)
    age_bucket = fields.String(required=True)
    investigation = fields.String(allow_none=True)
    root_cause = fields.String(allow_none=True)
    corrective_action = fields.String(allow_none=True)
    preventive_action = fields.String(allow_none=True)
    capa_owner = fields.String(allow_none=True)
    capa_due_at = fields.AwareDateTime(allow_none=True)
    updated_at = fields.AwareDateTime(required=True)
    next_states = fields.List(fields.String(), required=True)
    closure = fields.Nested(ClosureOut, allow_none=True)


class DeviationBlinded(DeviationUnblinded):
    class Meta:
        exclude = declared_in("deviation", DeviationUnblinded)


class DeviationListUnblinded(Schema):
    items = fields.List(fields.Nested(DeviationUnblinded), required=True)


class DeviationListBlinded(Schema):
    items = fields.List(fields.Nested(DeviationBlinded), required=True)
