"""Release rules and the other pure decisions about lots, against the shipped UMSIS definition."""

import datetime as dt
from dataclasses import dataclass

import pytest

from tracker.checkchar import is_valid
from tracker.custody.rules import container_status_after, event_time_problem
from tracker.errors import Conflict
from tracker.lots import rules
from tracker.studies.definition import parse_definition
from tracker.studies.services import SHIPPED, read_definition_file

STUDY = parse_definition(read_definition_file("umsis"))
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
UCMSC_OK = {
    "sterility": "negative", "mycoplasma": "negative", "endotoxin": 0.1, "viability": 90, "cd73": 99,
    "cd90": 99, "cd105": 99, "cd34": 1, "cd45": 1, "hla_dr": 1, "karyotype": "normal",
}  # fmt: skip


def _blocked_tests(results, material="ucmsc"):
    return {(b["test"], b["problem"]) for b in rules.release_blockers(STUDY, material, results)}


def test_the_shipped_definition_is_the_one_under_test():
    assert (SHIPPED / "umsis.json").is_file()


def test_a_complete_passing_ucmsc_lot_has_no_blockers():
    assert rules.release_blockers(STUDY, "ucmsc", UCMSC_OK) == []


def test_a_complete_passing_placebo_lot_has_no_blockers():
    assert rules.release_blockers(STUDY, "placebo", {"sterility": "negative", "endotoxin": 0.2}) == []


def test_a_placebo_lot_is_not_judged_on_cell_tests():
    assert _blocked_tests({"sterility": "negative"}, "placebo") == {("endotoxin", "missing")}


def test_every_missing_test_is_named():
    assert _blocked_tests({}) == {(test, "missing") for test in UCMSC_OK}


@pytest.mark.parametrize(
    ("test", "value", "passes"),
    [
        ("endotoxin", 0.49, True),
        ("endotoxin", 0.5, False),  # strictly below
        ("viability", 80, True),  # at least
        ("viability", 79.9, False),
        ("cd73", 95, True),
        ("cd105", 94.99, False),
        ("cd34", 2, True),  # at most
        ("hla_dr", 2.01, False),
        ("sterility", "negative", True),
        ("sterility", "NEGATIVE", True),  # words are case-insensitive
        ("sterility", " Negative ", True),
        ("sterility", "positive", False),
        ("mycoplasma", "detected", False),
        ("karyotype", "Normal", True),
        ("karyotype", "abnormal", False),
        ("endotoxin", "0.2 EU/mL", True),  # the unit as typed from a report
        ("viability", "85 %", True),
    ],
)
def test_each_kind_of_specification_judges_its_value(test, value, passes):
    blocked = _blocked_tests({**UCMSC_OK, test: value})
    assert (blocked == set()) is passes
    if not passes:
        assert blocked == {(test, "failed")}


def test_a_failed_test_reports_its_value_and_specification():
    [blocker] = rules.release_blockers(STUDY, "ucmsc", {**UCMSC_OK, "endotoxin": 0.9})
    assert blocker["value"] == 0.9
    assert blocker["specification"] == "< 0.5 EU/mL"
    assert "0.9" in blocker["message"]


@dataclass
class _Result:
    test: str
    value: object


def test_the_latest_result_of_a_test_supersedes_earlier_ones():
    history = [_Result("endotoxin", 0.9), _Result("sterility", "negative"), _Result("endotoxin", 0.1)]
    latest = rules.latest_by_test(history)
    assert latest["endotoxin"].value == 0.1
    assert _blocked_tests({**UCMSC_OK, **{t: r.value for t, r in latest.items()}}) == set()


def test_a_superseding_failure_blocks_even_after_an_earlier_pass():
    history = [_Result("endotoxin", 0.1), _Result("endotoxin", 0.7)]
    latest = {t: r.value for t, r in rules.latest_by_test(history).items()}
    assert _blocked_tests({**UCMSC_OK, **latest}) == {("endotoxin", "failed")}


def test_a_lot_out_of_quarantine_or_expired_is_blocked():
    blockers = rules.release_blockers(
        STUDY, "ucmsc", UCMSC_OK, status="released", expires_at=NOW - dt.timedelta(seconds=1), now=NOW
    )
    assert [b["problem"] for b in blockers] == ["status", "expired"]


@pytest.mark.parametrize(
    ("test", "raw", "problem"),
    [
        ("endotoxin", "high", "must be a number"),
        ("endotoxin", -0.1, "must not be negative"),
        ("viability", 101, "at most 100"),
        ("viability", True, "must be a number"),
        ("sterility", "", "must be one of the words"),
        ("sterility", 3, "must be one of the words"),
        ("sterility", "x" * 81, "at most 80 characters"),
    ],
)
def test_values_a_test_cannot_hold_are_refused(test, raw, problem):
    with pytest.raises(ValueError, match=problem):
        rules.parse_qc_value(STUDY.qc_spec("ucmsc", test), raw)


@pytest.mark.parametrize(
    ("status", "expires_in", "code"),
    [
        ("released", dt.timedelta(days=1), None),
        ("quarantine", dt.timedelta(days=1), "lot_not_released"),
        ("rejected", dt.timedelta(days=1), "lot_not_released"),
        ("recalled", dt.timedelta(days=1), "lot_recalled"),
        ("released", dt.timedelta(0), "lot_expired"),
        ("recalled", -dt.timedelta(days=1), "lot_recalled"),
    ],
)
def test_a_lot_is_usable_only_released_unrecalled_and_unexpired(status, expires_in, code):
    @dataclass
    class _Lot:
        status: str
        expires_at: dt.datetime

    lot = _Lot(status, NOW + expires_in)
    assert rules.lot_usable(lot, NOW) is (code is None)
    if code is None:
        rules.ensure_lot_usable(lot, NOW)
    else:
        with pytest.raises(Conflict) as refused:
            rules.ensure_lot_usable(lot, NOW)
        assert refused.value.code == code


def test_signatures_move_the_lot_only_from_the_right_status():
    assert rules.signature_status_after("quarantine", "release") == "released"
    assert rules.signature_status_after("quarantine", "reject") == "rejected"
    assert rules.signature_status_after("released", "recall") == "recalled"
    assert rules.signature_status_after("released", "release") is None
    assert rules.signature_status_after("quarantine", "recall") is None
    assert rules.signature_refusal_code("released", "release") == "already_released"
    assert rules.signature_refusal_code("rejected", "release") == "lot_not_in_quarantine"
    assert rules.signature_refusal_code("quarantine", "recall") == "lot_not_released"


def test_whoever_entered_a_result_may_not_sign():
    assert rules.four_eyes_violated("li", ["wang", "li"])
    assert not rules.four_eyes_violated("chen", ["wang", "li"])


def test_lot_times_must_be_in_order_and_not_in_the_future():
    assert rules.lot_time_problems(NOW - dt.timedelta(days=1), NOW, NOW) == {}
    assert "expires_at" in rules.lot_time_problems(NOW, NOW, NOW)
    assert "manufactured_at" in rules.lot_time_problems(
        NOW + dt.timedelta(minutes=2), NOW + dt.timedelta(days=9), NOW
    )
    assert rules.lot_time_problems(NOW + dt.timedelta(seconds=30), NOW + dt.timedelta(days=9), NOW) == {}


def test_container_ids_carry_a_check_character():
    cid = rules.container_id_from("ABC123XYZ")
    assert (len(cid), cid[0]) == (11, "C")
    assert is_valid(cid)
    assert rules.is_container_id(cid)
    wrong = cid[:-1] + ("0" if cid[-1] != "0" else "1")
    assert not rules.is_container_id(wrong)
    assert not rules.is_container_id(cid[1:])


def test_containers_fill_a_nine_by_nine_box_then_the_next():
    layout = rules.box_layout(83)
    assert [layout[i] for i in (0, 8, 9, 80, 81)] == [(1, "A1"), (1, "A9"), (1, "B1"), (1, "I9"), (2, "A1")]
    assert rules.position_cell("C7") == (2, 6)
    assert rules.position_cell("J1") is None


def test_container_moves_follow_their_order():
    assert container_status_after("stored", "issue") == "issued"
    assert container_status_after("issued", "thaw") == "thawed"
    assert container_status_after("issued", "issue") is None
    assert container_status_after("thawed", "discard") is None
    assert container_status_after("stored", "discard") == "discarded"


def test_a_custody_time_may_be_neither_future_nor_before_the_last_event():
    assert event_time_problem(NOW, NOW, NOW - dt.timedelta(hours=1)) is None
    assert "future" in event_time_problem(NOW + dt.timedelta(minutes=5), NOW, None)
    assert "before" in event_time_problem(NOW - dt.timedelta(hours=2), NOW, NOW - dt.timedelta(hours=1))
