"""The pure FHIR mapping (tracker/fhir/rules.py): date searches, issues grouped from custody, a blinded bag
mapped without what went into it, and a resource that R5 refuses never leaving the mapping."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from tracker.fhir import rules

UTC = dt.UTC
AT = dt.datetime(2026, 12, 4, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "inside", "outside"),
    [
        ("2026", AT, dt.datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-12", AT, dt.datetime(2026, 11, 30, 23, 59, tzinfo=UTC)),
        ("2026-12-04", AT, dt.datetime(2026, 12, 5, tzinfo=UTC)),
        ("ge2026-12-04", dt.datetime(2030, 1, 1, tzinfo=UTC), dt.datetime(2026, 12, 3, 23, 59, tzinfo=UTC)),
        ("gt2026-12-04", dt.datetime(2026, 12, 5, tzinfo=UTC), AT),
        ("lt2026-12-04", dt.datetime(2026, 12, 3, 23, 59, tzinfo=UTC), AT),
        ("le2026-12-04", AT, dt.datetime(2026, 12, 5, tzinfo=UTC)),
        ("ne2026-12-04", dt.datetime(2026, 12, 5, tzinfo=UTC), AT),
        ("2026-12-04T10:30:00Z", AT, AT + dt.timedelta(seconds=1)),
        ("2026-12-04T18:30:00+08:00", AT, AT - dt.timedelta(seconds=1)),
    ],
)
def test_a_date_search_value_admits_the_instants_it_covers(value, inside, outside):
    tests = rules.date_tests([value])
    assert rules.admits(tests, inside)
    assert not rules.admits(tests, outside)
    # A stored (naive UTC) time is read as UTC.
    assert rules.admits(tests, inside.replace(tzinfo=None))


def test_several_date_values_must_all_hold_and_none_admits_everything():
    tests = rules.date_tests(["ge2026-12-01", "lt2026-12-04"])
    assert rules.admits(tests, dt.datetime(2026, 12, 2, tzinfo=UTC))
    assert not rules.admits(tests, AT)
    assert rules.admits([], AT)
    assert not rules.admits(tests, None)


@pytest.mark.parametrize("value", ["yesterday", "2026-13", "2026-12-04T10:30", "ge", "20261204"])
def test_a_date_search_value_that_is_not_a_fhir_date_is_refused(value):
    with pytest.raises(rules.BadSearch):
        rules.date_tests([value])


def _event(action, minute, location="Ward 5"):
    return {"action": action, "at": AT + dt.timedelta(minutes=minute), "location": location, "user": "u",
            "role": "nurse", "note": None, "seal_intact": True, "temperature_c": 5.0}  # fmt: skip


def test_custody_is_grouped_into_one_issue_per_dispatch_with_its_receipt_and_return():
    custody = [_event("prepare", 0, "Pharmacy"), _event("dispatch", 1), _event("receive", 2),
               _event("return", 3, "Pharmacy"), _event("dispatch", 4), _event("receive", 5)]  # fmt: skip
    issues = rules.issues_of("B1", "P-1", custody)
    assert [i.number for i in issues] == [1, 2]
    assert issues[0].returned is not None
    assert issues[1].returned is None
    assert issues[1].receipt["at"] == AT + dt.timedelta(minutes=5)
    first, second = (rules.issue_dispense(i) for i in issues)
    assert (first["id"], first["status"]) == ("B1-issue-1", "returned")
    assert (second["id"], second["status"]) == ("B1-issue-2", "issued")
    assert rules.parse_issue_id("B1-issue-2") == ("B1", 2)
    assert rules.parse_issue_id("B1-issue-0") is None


BAG = {
    "bag_id": "B1", "randomization_code": "R1", "participant_id": "P-1", "status": "received",
    "location": "Ward 5", "quarantined": False, "final_volume_ml": 100.0, "prepared_at": AT,
    "use_by": AT + dt.timedelta(hours=4), "prepared_by": "ph", "voided_at": None,
}  # fmt: skip


def test_a_blinded_bag_is_the_blinded_product_and_an_unblinded_one_names_its_material_and_lot():
    blinded = rules.biologically_derived_product(BAG, "UC-MSC or placebo")
    assert blinded["productCode"]["text"] == "UC-MSC or placebo"
    assert "biologicalSourceEvent" not in blinded
    assert blinded["productStatus"]["code"] == "available"
    unblinded = rules.biologically_derived_product(
        {**BAG, "material": "ucmsc", "lot_number": "UC-0001", "container_id": "C1", "thaw_id": "T1"},
        "UC-MSC or placebo",
    )
    assert unblinded["productCode"]["text"] == "UC-MSC"
    assert unblinded["biologicalSourceEvent"]["value"] == "UC-0001"


def test_a_resource_r5_refuses_never_leaves_the_mapping():
    with pytest.raises(ValidationError):
        rules.valid({"resourceType": "BiologicallyDerivedProduct", "productStatus": "available"})
    with pytest.raises(ValidationError):
        rules.valid({"resourceType": "BiologicallyDerivedProductDispense", "status": "no-such-status"})
