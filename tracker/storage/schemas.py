"""Request and answer schemas of the storage API (units, moves, readings, logger imports)."""

from marshmallow import Schema, fields, validate

from tracker.fields import DayOrTime
from tracker.storage import rules


class UnitIn(Schema):
    unit_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(required=True, validate=validate.OneOf(rules.UNIT_KINDS))
    location = fields.String(required=True, validate=validate.Length(min=1, max=200))
    site = fields.String(
        load_default=None, validate=validate.Length(min=1, max=16),
        metadata={"description": "the site's code; default: the only one that is yours"},
    )  # fmt: skip


class MoveIn(Schema):
    container_id = fields.String(required=True, validate=validate.Length(min=1, max=16))
    rack = fields.String(required=True, validate=validate.Length(min=1, max=40))
    box = fields.String(required=True, validate=validate.Length(min=1, max=48))
    position = fields.String(required=True, validate=validate.Length(min=1, max=8))
    at = fields.AwareDateTime(load_default=None)
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class ReadingIn(Schema):
    at = fields.AwareDateTime(required=True)
    temperature_c = fields.Float(required=True, validate=validate.Range(min=-273.15, max=200))


class ReadingsIn(Schema):
    readings = fields.List(
        fields.Nested(ReadingIn), required=True,
        validate=validate.Length(min=1, max=rules.MAX_READINGS_PER_POST),
    )  # fmt: skip


class ImportQuery(Schema):
    time_column = fields.String(load_default=None, validate=validate.Length(max=80))
    temperature_column = fields.String(load_default=None, validate=validate.Length(max=80))
    unit = fields.String(load_default=None, validate=validate.OneOf(("C", "F")))


class PeriodQuery(Schema):
    since = DayOrTime(load_default=None)
    until = DayOrTime(load_default=None, edge="end")


class UnitOut(Schema):
    unit_id = fields.String()
    site = fields.String()
    name = fields.String()
    kind = fields.String()
    location = fields.String()
    min_temperature_c = fields.Float(allow_none=True)
    max_temperature_c = fields.Float(allow_none=True)
    latest_at = fields.DateTime(allow_none=True)
    latest_temperature_c = fields.Float(allow_none=True)
    status = fields.String(metadata={"enum": ["no_readings", "silent", "out_of_range", "in_range"]})
    created_at = fields.DateTime()
    created_by = fields.String()


class UnitList(Schema):
    items = fields.List(fields.Nested(UnitOut))


class ReadingOut(Schema):
    at = fields.DateTime()
    temperature_c = fields.Float()


class ExcursionOut(Schema):
    start = fields.DateTime()
    end = fields.DateTime()
    minutes = fields.Float()
    min_c = fields.Float()
    max_c = fields.Float()
    beyond_limit = fields.Boolean()


class ContentOut(Schema):
    container_id = fields.String()
    lot_number = fields.String()
    rack = fields.String()
    box = fields.String()
    position = fields.String()
    quarantined = fields.Boolean(metadata={"description": "in quarantine awaiting QA's decision"})


class UnitDetail(UnitOut):
    since = fields.DateTime()
    until = fields.DateTime()
    readings = fields.List(fields.Nested(ReadingOut))
    excursions = fields.List(fields.Nested(ExcursionOut))
    minutes_out_of_range = fields.Float()
    max_minutes_out_of_range = fields.Integer(allow_none=True)
    contents = fields.List(fields.Nested(ContentOut))


class MoveOut(Schema):
    container_id = fields.String()
    lot_number = fields.String()
    unit_id = fields.String()
    rack = fields.String()
    box = fields.String()
    position = fields.String()
    at = fields.DateTime()


class ReadingsOut(Schema):
    unit_id = fields.String()
    count = fields.Integer()
    skipped = fields.Integer(metadata={"description": "readings at a time the unit already had"})
    first_at = fields.DateTime()
    last_at = fields.DateTime()
    min_c = fields.Float()
    max_c = fields.Float()
    deviations = fields.List(fields.String())
    time_column = fields.String()
    temperature_column = fields.String()
    unit = fields.String()
    columns = fields.List(fields.String())
