"""Dose and bag schemas. The blinded bag answer is its own class, without the fields declared unblinded."""

from marshmallow import Schema, fields, validate

from tracker import blinding
from tracker.pharmacy.rules import SHEET_MAX_BAGS

_POSITIVE = validate.Range(min=0, min_inclusive=False, max=10_000)


class PlanQuery(Schema):
    randomization_code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    thaw_id = fields.String(validate=validate.Length(min=1, max=16))


class DosePlan(Schema):
    randomization_code = fields.String()
    participant_id = fields.String()
    arm = fields.String(required=True)
    material = fields.String()
    draw_ml = fields.Float(required=True)
    diluent_ml = fields.Float(required=True)
    final_volume_ml = fields.Float(required=True)
    expected_viable_cells = fields.Float(required=True)


class PrepareRequest(Schema):
    randomization_code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    thaw_id = fields.String(allow_none=True, validate=validate.Length(max=16))
    drawn_volume_ml = fields.Float(allow_none=True, allow_nan=False, validate=_POSITIVE)
    placebo_lot = fields.String(allow_none=True, validate=validate.Length(max=40))
    final_volume_ml = fields.Float(required=True, allow_nan=False, validate=_POSITIVE)
    prepared_at = fields.AwareDateTime()
    witness_username = fields.String(validate=validate.Length(max=64))
    witness_password = fields.String(load_only=True, validate=validate.Length(max=1024))


class BagUnblinded(Schema):
    """For the pharmacist: the bag and what went into it."""

    bag_id = fields.String(required=True)
    randomization_code = fields.String(required=True)
    participant_id = fields.String(required=True)
    status = fields.String(required=True)
    location = fields.String()
    quarantined = fields.Boolean()
    final_volume_ml = fields.Float()
    prepared_at = fields.AwareDateTime(required=True)
    use_by = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    voided_at = fields.AwareDateTime(allow_none=True)
    arm = fields.String(required=True)
    material = fields.String()
    lot_number = fields.String()
    container_id = fields.String()
    thaw_id = fields.String(allow_none=True)
    thawed_at = fields.AwareDateTime(allow_none=True)
    drawn_volume_ml = fields.Float(allow_none=True)
    dose_viable_cells = fields.Float()
    witness = fields.String(allow_none=True)
    witnessed_at = fields.AwareDateTime(allow_none=True)
    qr_payload = fields.String()
    print_count = fields.Integer()
    prepared_by = fields.String()
    void_reason = fields.String(allow_none=True)


class BagBlinded(BagUnblinded):
    """For blinded roles: identical in shape and content for every arm; the fields tracker/blinding.py
    declares unblinded are left out."""

    class Meta:
        exclude = blinding.declared_in("bag", BagUnblinded)


class BagList(Schema):
    items = fields.List(fields.Nested(BagUnblinded), required=True)


class VoidRequest(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class LabelQuery(Schema):
    reason = fields.String(validate=validate.Length(max=500))


class SheetQuery(Schema):
    """`?bag_id=X&bag_id=Y...`: the bags of an A4 sheet of labels, in the order given."""

    bag_id = fields.List(
        fields.String(validate=validate.Length(min=1, max=32)),
        required=True,
        validate=validate.Length(
            min=1, max=SHEET_MAX_BAGS, error=f"name between 1 and {SHEET_MAX_BAGS} bags"
        ),
    )
    reason = fields.String(validate=validate.Length(max=500))


class SendRequest(Schema):
    reason = fields.String(validate=validate.Length(max=500))


class LabelSent(Schema):
    bag_id = fields.String(required=True)
    print_count = fields.Integer(required=True)
    printer = fields.String(required=True)


class WorklistItem(Schema):
    participant_id = fields.String()
    stratum = fields.String()
    randomization_code = fields.String()
    randomized_at = fields.AwareDateTime()


class Worklist(Schema):
    items = fields.List(fields.Nested(WorklistItem), required=True)
