"""Request and answer schemas for sign-in and the admin's account controls."""

from marshmallow import Schema, fields, validate

from tracker.roles import ROLES

_PASSWORD = {"required": True, "validate": validate.Length(min=1, max=1024), "load_only": True}
_REASON = {"required": True, "validate": validate.Length(min=1, max=500)}
_MEANING = {"load_default": None, "validate": validate.Length(max=200)}


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(**_PASSWORD)


class TokenAnswer(Schema):
    token = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True)
    username = fields.String()
    role = fields.String()
    password_change_required = fields.Boolean()


class SignedOut(Schema):
    revoked = fields.Boolean(required=True)


class PasswordChange(Schema):
    current_password = fields.String(**_PASSWORD)
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=1024), load_only=True)


class PasswordChanged(Schema):
    changed = fields.Boolean(required=True)


class Account(Schema):
    username = fields.String(required=True)
    full_name = fields.String(required=True)
    role = fields.String(required=True)
    active = fields.Boolean(required=True)
    locked = fields.Boolean(required=True)
    password_change_required = fields.Boolean(required=True)
    last_sign_in_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    password_changed_at = fields.AwareDateTime(allow_none=True)
    sites = fields.List(fields.String(), metadata={"description": "empty: the whole trial"})


class AccountList(Schema):
    items = fields.List(fields.Nested(Account), required=True)


class NewAccount(Schema):
    username = fields.String(required=True, validate=validate.Length(min=2, max=64))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    sites = fields.List(
        fields.String(validate=validate.Length(min=1, max=16)), load_default=list,
        validate=validate.Length(max=10), metadata={"description": "site codes; none: the whole trial"},
    )  # fmt: skip
    password = fields.String(**_PASSWORD)  # the admin's own: the addition is signed
    meaning = fields.String(**_MEANING)


class NewAccountAnswer(Account):
    temporary_password = fields.String(required=True)


class AccountChange(Schema):
    active = fields.Boolean()
    role = fields.String(validate=validate.OneOf(ROLES))
    full_name = fields.String(validate=validate.Length(min=1, max=200))
    sites = fields.List(
        fields.String(validate=validate.Length(min=1, max=16)), validate=validate.Length(max=10)
    )
    reason = fields.String(**_REASON)
    password = fields.String(**_PASSWORD)
    meaning = fields.String(**_MEANING)


class PasswordReset(Schema):
    reason = fields.String(**_REASON)
    password = fields.String(**_PASSWORD)
    meaning = fields.String(**_MEANING)


class PasswordResetAnswer(Schema):
    username = fields.String(required=True)
    temporary_password = fields.String(required=True)


class Unlock(Schema):
    reason = fields.String(**_REASON)
