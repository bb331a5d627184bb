"""Audit trail query and answer schemas."""

from marshmallow import Schema, fields, validate

from tracker.audit.rules import ENTITY_TYPES
from tracker.db import MAX_SQL_INTEGER
from tracker.fields import DayOrTime


class AuditQuery(Schema):
    after_seq = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_SQL_INTEGER))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))
    entity_type = fields.String(validate=validate.OneOf(ENTITY_TYPES))
    entity_id = fields.String(validate=validate.Length(min=1, max=80))
    since = DayOrTime(edge="start", metadata={"description": "A date (the day's start, site time) or a time"})
    until = DayOrTime(edge="end", metadata={"description": "A date (the day's end, site time) or a time"})


class AuditSearch(AuditQuery):
    """The audit page's search, and its PDF and CSV: the API's filters plus who, what action, which page."""

    username = fields.String(data_key="user", validate=validate.Length(min=1, max=80))
    action = fields.String(validate=validate.Length(min=1, max=40))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_SQL_INTEGER))
    # The newest event when paging began: later pages stay where they were while new events arrive.
    upto = fields.Integer(validate=validate.Range(min=0, max=MAX_SQL_INTEGER))


class AuditEntity(Schema):
    type = fields.String()
    id = fields.String()


class AuditEventOut(Schema):
    seq = fields.Integer()
    at = fields.AwareDateTime()
    user = fields.String()
    role = fields.String()
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.String()
    entity = fields.Nested(AuditEntity)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    reason = fields.String(allow_none=True)
    # The commitment to the event's unblinded facts (sealed chain only): a blinded reader hashes it with the
    # rest, and cannot open it.
    seal = fields.String(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()


class AuditPage(Schema):
    events = fields.List(fields.Nested(AuditEventOut))
    next_after_seq = fields.Integer(allow_none=True)
