"""Release with results pending, decided by the pure rules and the study definition's schema."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError

from tracker.lots import rules
from tracker.studies.definition import parse_definition
from tracker.studies.services import SHIPPED

PASSING = {
    "sterility": "negative", "mycoplasma": "negative", "endotoxin": 0.1, "viability": 92, "cd73": 98,
    "cd90": 99, "cd105": 97, "cd34": 0.4, "cd45": 0.6, "hla_dr": 1.1, "karyotype": "normal",
}  # fmt: skip
NOW = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)


def _shipped(name: str) -> dict:
    return json.loads((SHIPPED / f"{name}.json").read_text(encoding="utf-8"))


def test_umsis_lets_no_test_be_pending_and_umsis_fresh_lets_sterility():
    assert parse_definition(_shipped("umsis")).may_be_pending("ucmsc") == ()
    fresh = parse_definition(_shipped("umsis-fresh"))
    assert fresh.may_be_pending("ucmsc") == ("sterility",)
    assert fresh.may_be_pending("placebo") == ("sterility",)


def test_a_definition_naming_a_test_no_material_defines_is_refused():
    raw = {**_shipped("umsis-fresh"), "release_with_pending_results": ["sterility", "culture"]}
    with pytest.raises(ValidationError) as refused:
        parse_definition(raw)
    assert "culture" in str(refused.value.messages["release_with_pending_results"])


def test_a_missing_test_that_may_be_pending_does_not_block_and_is_named_pending():
    study = parse_definition(_shipped("umsis-fresh"))
    latest = {t: v for t, v in PASSING.items() if t != "sterility"}
    assert rules.release_blockers(study, "ucmsc", latest, may_be_pending=("sterility",)) == []
    assert rules.pending_at_release(study, "ucmsc", latest, ("sterility",)) == ["sterility"]
    blocked = rules.release_blockers(study, "ucmsc", latest)
    assert [b["test"] for b in blocked] == ["sterility"]


def test_a_failed_result_blocks_even_a_test_that_may_be_pending():
    study = parse_definition(_shipped("umsis-fresh"))
    latest = {**PASSING, "sterility": "positive"}
    blocked = rules.release_blockers(study, "ucmsc", latest, may_be_pending=("sterility",))
    assert [(b["problem"], b["test"]) for b in blocked] == [("failed", "sterility")]
    assert rules.pending_at_release(study, "ucmsc", latest, ("sterility",)) == []


def test_the_disposition_reads_the_follow_ups():
    assert rules.disposition("released", ["pending"]) == "released_results_pending"
    assert rules.disposition("released", ["passed"]) == "released"
    assert rules.disposition("released", ["passed", "failed"]) == "released_result_failed"
    assert rules.disposition("recalled", ["failed"]) == "recalled"
    assert rules.disposition("quarantine", []) == "quarantine"


def test_the_signature_meaning_names_the_pending_tests():
    meaning = rules.released_with_pending_meaning("Released", ["sterility", "mycoplasma"])
    assert meaning == "Released (released with results pending: sterility, mycoplasma)"


def test_a_lot_whose_late_result_failed_is_not_usable():
    later = NOW + dt.timedelta(days=30)
    failed = SimpleNamespace(
        status="released", expires_at=later, follow_ups=[SimpleNamespace(state="failed")]
    )
    pending = SimpleNamespace(
        status="released", expires_at=later, follow_ups=[SimpleNamespace(state="pending")]
    )
    assert not rules.lot_usable(failed, NOW)
    assert rules.lot_usable(pending, NOW)
    with pytest.raises(Exception, match="late QC result"):
        rules.ensure_lot_usable(failed, NOW)
