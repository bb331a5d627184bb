"""Request and answer schemas for sign-in."""

from marshmallow import Schema, fields, validate


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True)


class TokenAnswer(Schema):
    token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    username = fields.String()
    role = fields.String()


class SignedOut(Schema):
    revoked = fields.Boolean(required=True)
