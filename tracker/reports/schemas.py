"""Report answers. The accountability row for a blinded reader leaves out the fields declared unblinded."""

from marshmallow import Schema, fields

from tracker import blinding
from tracker.fields import DayOrTime


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


class AccessReviewQuery(Schema):
    # A date (site time, the day's first or last moment) or a full time, as the audit search takes them.
    since = DayOrTime(edge="start", load_default=None)
    until = DayOrTime(edge="end", load_default=None)


class AccessChange(Schema):
    at = fields.AwareDateTime(required=True)
    username = fields.String(required=True)
    action = fields.String(required=True)
    by = fields.String(required=True)
    by_role = fields.String(required=True)
    before = fields.String(required=True)
    after = fields.String(required=True)
    reason = fields.String(required=True)


class AccessReview(Schema):
    since = fields.AwareDateTime(required=True)
    until = fields.AwareDateTime(required=True)
    generated_at = fields.AwareDateTime(required=True)
    accounts = fields.List(fields.Nested("tracker.users.schemas.Account"), required=True)
    changes = fields.List(fields.Nested(AccessChange), required=True)


class DeviationLogRowWithSource(Schema):
    """One deviation in the log for unblinded readers, with the lot and container a linked bag came from."""

    deviation_id = fields.String(required=True)
    category = fields.String(required=True)
    title = fields.String(required=True)
    state = fields.String(required=True)
    raised_at = fields.AwareDateTime(required=True)
    raised_by = fields.String(required=True)
    raised_by_role = fields.String(required=True)
    source = fields.String(required=True)
    source_action = fields.String(allow_none=True)
    trigger_type = fields.String(allow_none=True)
    trigger_id = fields.String(allow_none=True)
    due_at = fields.AwareDateTime(required=True)
    overdue = fields.Boolean(required=True)
    lot_number = fields.String(allow_none=True)
    container_id = fields.String(allow_none=True)
    bag_id = fields.String(allow_none=True)
    participant_id = fields.String(allow_none=True)
    infusion_id = fields.String(allow_none=True)
    description = fields.String(required=True)
    investigation = fields.String(allow_none=True)
    root_cause = fields.String(allow_none=True)
    corrective_action = fields.String(allow_none=True)
    preventive_action = fields.String(allow_none=True)
    capa_owner = fields.String(allow_none=True)
    capa_due_at = fields.AwareDateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    closed_by_name = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    closure_meaning = fields.String(allow_none=True)
    source_lot_number = fields.String(allow_none=True)
    source_container_id = fields.String(allow_none=True)


class DeviationLogRow(DeviationLogRowWithSource):
    """One deviation for blinded readers: without what tracker/blinding.py declares unblinded."""

    class Meta:
        exclude = blinding.declared_in("deviation", DeviationLogRowWithSource)


class AdverseEventListingRow(Schema):
    """One adverse event in the listing, the same for every reader: no arm, material, lot, container or thaw
    (an adverse event has none to show). The list fields hold their codes joined by "; "."""

    ae_id = fields.String(required=True)
    participant_id = fields.String(required=True)
    infusion_id = fields.String(required=True)
    bag_id = fields.String(required=True)
    onset_at = fields.AwareDateTime(required=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    description = fields.String(required=True)
    grade = fields.Integer(required=True)
    serious = fields.Boolean(required=True)
    seriousness_criteria = fields.String(required=True)
    actions_taken = fields.String(required=True)
    treatment = fields.String(allow_none=True)
    causality = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    assessed_by = fields.String(allow_none=True)
    assessed_at = fields.AwareDateTime(allow_none=True)
    recorded_by = fields.String(required=True)
    recorded_by_role = fields.String(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    report_due_at = fields.AwareDateTime(allow_none=True)
    sponsor_reported_at = fields.AwareDateTime(allow_none=True)
    sponsor_reported_by = fields.String(allow_none=True)
    reported_late = fields.Boolean(required=True)
    overdue = fields.Boolean(required=True)


# ---- stock by site and lot ----------------------------------------------------------------------------


class StockCountsBlinded(Schema):
    """Counts nothing the pharmacy does with a container can change (tracker/stock/services.py)."""

    in_store = fields.Integer(required=True)
    shipped = fields.Integer(required=True)
    in_pharmacy = fields.Integer(required=True)
    discarded_in_lab = fields.Integer(required=True)


class StockCountsUnblinded(StockCountsBlinded):
    """The pharmacist's: also what became of the containers in the pharmacy, as /pharmacy/stock."""

    issued = fields.Integer(required=True)
    thawed = fields.Integer(required=True)
    used = fields.Integer(required=True)
    discarded_in_pharmacy = fields.Integer(required=True)


class StockLotBlinded(Schema):
    lot_number = fields.String(required=True)
    material = fields.String(required=True)
    disposition = fields.String(required=True)
    usable = fields.Boolean(required=True)
    expires_at = fields.AwareDateTime(required=True)
    days_to_expiry = fields.Integer(
        required=True, metadata={"description": "calendar days, negative once past"}
    )
    expiry_band = fields.String(
        required=True, metadata={"enum": ["expired", "under_30_days", "under_90_days", "beyond_90_days"]}
    )
    counts = fields.Nested(StockCountsBlinded, required=True)
    total = fields.Integer(required=True)


class StockLotUnblinded(StockLotBlinded):
    counts = fields.Nested(StockCountsUnblinded, required=True)


class StockSiteBlinded(Schema):
    site_code = fields.String(required=True)
    site_name = fields.String(required=True)
    site_kind = fields.String(required=True)
    lots = fields.List(fields.Nested(StockLotBlinded), required=True)


class StockSiteUnblinded(StockSiteBlinded):
    lots = fields.List(fields.Nested(StockLotUnblinded), required=True)


class ExpiryBand(Schema):
    band = fields.String(required=True)
    under_days = fields.Integer(required=True)


class StockBySiteBlinded(Schema):
    generated_at = fields.AwareDateTime(required=True)
    generated_by = fields.String(required=True)
    unblinded = fields.Boolean(required=True)
    count_names = fields.List(fields.String(), required=True)
    expiry_bands = fields.List(fields.Nested(ExpiryBand), required=True)
    sites = fields.List(fields.Nested(StockSiteBlinded), required=True)


class StockBySiteUnblinded(StockBySiteBlinded):
    sites = fields.List(fields.Nested(StockSiteUnblinded), required=True)
