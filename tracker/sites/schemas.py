"""Request and answer schemas of sites."""

from marshmallow import Schema, fields, validate

from tracker.sites import rules


class SiteIn(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(required=True, validate=validate.OneOf(rules.KINDS))


class SiteChange(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    kind = fields.String(validate=validate.OneOf(rules.KINDS))


class SiteOut(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    created_at = fields.AwareDateTime()
    created_by = fields.String()


class SiteList(Schema):
    items = fields.List(fields.Nested(SiteOut), required=True)
