"""Report answers. The accountability row for a blinded reader leaves out the fields declared unblinded."""

from marshmallow import Schema, fields

from tracker import blinding


class AuditHeadOut(Schema):
    seq = fields.Integer(required=True)
    hash = fields.String(required=True)


class _Counts(Schema):
    prepared = fields.Integer(required=True)
    in_stock = fields.Integer(required=True)
    in_transit = fields.Integer(required=True)
    received = fields.Integer(required=True)
    infused = fields.Integer(required=True)
    destroyed = fields.Integer(required=True)
    expired = fields.Integer(required=True)
    voided = fields.Integer(required=True)
    open = fields.Integer(required=True)
    reconciled = fields.Boolean(required=True)


class SiteCounts(_Counts):
    site = fields.String(required=True)


class LotCounts(_Counts):
    lot_number = fields.String(required=True)


class AccountabilityRowWithLot(Schema):
    """A bag's row for unblinded readers, with the lot it was made from."""

    site = fields.String(required=True)
    bag_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    randomization_code = fields.String(required=True)
    status = fields.String(required=True)
    location = fields.String(required=True)
    prepared_at = fields.AwareDateTime(required=True)
    use_by = fields.AwareDateTime(required=True)
    dispatched_at = fields.AwareDateTime(allow_none=True)
    received_at = fields.AwareDateTime(allow_none=True)
    infusion_started_at = fields.AwareDateTime(allow_none=True)
    infusion_completed_at = fields.AwareDateTime(allow_none=True)
    volume_infused_ml = fields.Float(allow_none=True)
    destroyed_at = fields.AwareDateTime(allow_none=True)
    destroy_reason = fields.String(allow_none=True)
    voided_at = fields.AwareDateTime(allow_none=True)
    lot_number = fields.String(allow_none=True)


class AccountabilityRow(AccountabilityRowWithLot):
    """A bag's row for blinded readers: without the bag's fields tracker/blinding.py declares unblinded."""

    class Meta:
        exclude = blinding.declared_in("bag", AccountabilityRowWithLot)


class AccountabilityBlinded(Schema):
    generated_at = fields.AwareDateTime(required=True)
    generated_by = fields.String(required=True)
    audit_head = fields.Nested(AuditHeadOut, required=True)
    sites = fields.List(fields.Nested(SiteCounts), required=True)
    items = fields.List(fields.Nested(AccountabilityRow), required=True)


class AccountabilityUnblinded(AccountabilityBlinded):
    items = fields.List(fields.Nested(AccountabilityRowWithLot), required=True)
    lots = fields.List(fields.Nested(LotCounts), required=True)
