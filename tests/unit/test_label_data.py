"""LabelData holds only what a blinded label may show, and refuses what it cannot print."""

import dataclasses
from datetime import datetime, timedelta

import pytest

from labels import LabelData, LabelDataError
from tests.unit.labelkit import PREPARED, sample_label

FIELDS = {
    "product_text",
    "route",
    "volume_text",
    "protocol",
    "participant_id",
    "randomization_code",
    "bag_id",
    "prepared_at",
    "use_by",
    "storage",
    "statement",
    "emergency_contact",
    "qr_payload",
    "time_zone",
    "product_text_zh",
    "route_zh",
    "storage_zh",
    "statement_zh",
    "emergency_contact_zh",
}


def test_label_data_has_exactly_the_label_fields_and_no_room_for_the_treatment_or_its_lot():
    assert {f.name for f in dataclasses.fields(LabelData)} == FIELDS


def test_an_unknown_field_is_refused():
    values = {f: getattr(sample_label(), f) for f in FIELDS}
    with pytest.raises(TypeError):
        LabelData(**values, lot="L-2026-001")
    with pytest.raises(TypeError):
        LabelData(*values.values())  # keyword-only: no positional mix-ups


def test_label_data_cannot_be_changed_after_it_is_made():
    label = sample_label()
    with pytest.raises(dataclasses.FrozenInstanceError):
        label.bag_id = "B23456789ABCD"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("product_text", ""),
        ("product_text", " padded"),
        ("route", 42),
        ("protocol", "X" * 21),
        ("storage", "line\nbreak"),
        ("participant_id", "UMS 01"),
        ("participant_id", "-leading"),
        ("randomization_code", "R" * 15),
        ("bag_id", "B2345~"),
        ("qr_payload", "ct1lowercase"),
        ("qr_payload", "A" * 39),
        ("qr_payload", "CT1_UNDERSCORE"),
        ("time_zone", "Mars/Olympus_Mons"),
        ("time_zone", None),
        ("prepared_at", datetime(2026, 3, 14, 9, 26)),  # noqa: DTZ001 - the naive time is the point
        ("prepared_at", "2026-03-14T09:26:00+08:00"),
        ("use_by", PREPARED),
        ("use_by", PREPARED - timedelta(minutes=1)),
    ],
)
def test_bad_values_are_refused(field, value):
    with pytest.raises(LabelDataError):
        sample_label(**{field: value})


def test_times_print_in_the_site_zone_with_offset_and_fixed_width():
    label = sample_label(prepared_at=PREPARED)  # 01:26:41 UTC
    assert label.prepared_text == "2026-03-14 09:26 +08:00"
    assert label.use_by_text == "2026-03-14 11:26 +08:00"
    west = sample_label(time_zone="America/Los_Angeles")
    assert west.prepared_text == "2026-03-13 18:26 -07:00"
    assert len(west.prepared_text) == len(label.prepared_text)
