"""Randomization list schemas: only the statistician reaches these routes, so arm counts may appear."""

from marshmallow import Schema, fields, validate

from tracker.randomization.rules import MAX_BLOCK_SIZE, MAX_PER_STRATUM


class GenerateRequest(Schema):
    seed = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**63 - 1))
    per_stratum = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_PER_STRATUM)
    )
    block_sizes = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_BLOCK_SIZE)),
        required=True,
        validate=validate.Length(min=1, max=10),
    )


class StratumOut(Schema):
    stratum = fields.String(required=True)
    total = fields.Integer(required=True)
    used = fields.Integer(required=True)
    arms = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True)


class ListOut(Schema):
    list_id = fields.Integer(required=True)
    source = fields.String(required=True)
    commitment = fields.String(
        required=True, metadata={"description": "SHA-256, hex, over the canonical encoding"}
    )
    salt = fields.String(required=True)
    code_count = fields.Integer(required=True)
    used = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    created_by = fields.String(required=True)
    strata = fields.List(fields.Nested(StratumOut), required=True)


class ListPage(Schema):
    items = fields.List(fields.Nested(ListOut), required=True)


class StratumPreviewOut(Schema):
    stratum = fields.String(required=True)
    rows = fields.Integer(required=True)
    arms = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class ListPreviewOut(Schema):
    rows = fields.Integer(required=True, metadata={"description": "Rows that could be read"})
    importable = fields.Boolean(required=True)
    strata = fields.List(fields.Nested(StratumPreviewOut), required=True)
    problems = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "Every problem by 'line N' (or 'file'); any problem refuses the import"},
    )
