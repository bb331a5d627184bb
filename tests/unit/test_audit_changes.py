"""How the audit page and PDF put an event's before and after into words (tracker/audit/changes.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tracker.audit.changes import Change, changes, readable

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_only_changed_fields_are_listed_with_added_and_removed_marked():
    before = {"status": "quarantine", "same": 1, "gone": "x", "cleared": "y"}
    after = {"status": "released", "same": 1, "new": True, "cleared": None}
    assert changes(before, after) == [
        Change("cleared", "changed", "y", None),
        Change("gone", "removed", before="x"),
        Change("new", "added", after=True),
        Change("status", "changed", "quarantine", "released"),
    ]


def test_a_new_records_empty_fields_are_not_changes():
    assert changes(None, {"donor_code": None, "status": "quarantine"}) == [
        Change("status", "added", after="quarantine")
    ]


def test_values_read_as_words_times_in_the_site_zone_without_microseconds():
    at = dt.datetime(2026, 12, 3, 1, 2, 3, 456789, tzinfo=dt.UTC)
    assert readable(at.isoformat(), SHANGHAI) == "2026-12-03 09:02:03 CST"
    assert readable(True, SHANGHAI, "Yes", "No") == "Yes"
    assert readable(None, SHANGHAI) == "—"
    assert readable(1.5e8, SHANGHAI) == "150000000"
    assert readable(0.12, SHANGHAI) == "0.12"
    assert readable({"meaning": "QA release", "at": at.isoformat()}, SHANGHAI) == (
        "at: 2026-12-03 09:02:03 CST; meaning: QA release"
    )
