"""The deviation's state machine, its overdue rule, its age buckets and where a bag's lot link goes."""

import datetime as dt

from tracker.deviations import rules

NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
CAPA = {
    "investigation": "i", "root_cause": "r", "corrective_action": "c", "preventive_action": "p",
    "capa_owner": "o", "capa_due_at": NOW,
}  # fmt: skip


def test_a_deviation_moves_one_step_at_a_time():
    assert rules.transition_blockers("open", "under_investigation", {}) == []
    assert rules.transition_blockers("open", "capa_defined", CAPA) == ["not_allowed"]
    assert rules.transition_blockers("closed", "under_investigation", {}) == ["not_allowed"]
    assert rules.transition_blockers("capa_defined", "under_investigation", {}) == []


def test_capa_defined_needs_investigation_root_cause_and_every_capa_field():
    assert rules.transition_blockers("under_investigation", "capa_defined", CAPA) == []
    missing = rules.transition_blockers("under_investigation", "capa_defined", {"investigation": "i"})
    assert set(missing) == {"root_cause", *rules.CAPA_FIELDS}


def test_only_a_deviation_with_its_capa_closes():
    assert rules.close_blockers("capa_defined", CAPA) == []
    assert rules.close_blockers("under_investigation", CAPA) == ["not_allowed"]


def test_overdue_is_past_due_and_not_closed():
    past = NOW - dt.timedelta(hours=1)
    assert rules.is_overdue("open", past, NOW)
    assert not rules.is_overdue("closed", past, NOW)
    assert not rules.is_overdue("open", NOW + dt.timedelta(hours=1), NOW)


def test_age_buckets():
    assert rules.age_bucket(NOW - dt.timedelta(days=6), NOW) == "lt_7"
    assert rules.age_bucket(NOW - dt.timedelta(days=7), NOW) == "7_to_30"
    assert rules.age_bucket(NOW - dt.timedelta(days=31), NOW) == "gt_30"


def test_beside_a_bag_a_lot_link_is_the_bags_source():
    stored = rules.source_links({"bag_id": "B1", "lot_number": "L1", "container_id": "C1"})
    assert stored["lot_number"] is None
    assert stored["container_id"] is None
    assert stored["source_lot_number"] == "L1"
    assert stored["source_container_id"] == "C1"
    alone = rules.source_links({"lot_number": "L1"})
    assert alone["lot_number"] == "L1"
    assert alone["source_lot_number"] is None


def test_text_naming_an_arm_word_or_a_hidden_id_is_found_and_ordinary_words_are_not():
    assert rules.unblinding_words("Placebo bag dropped") == ["placebo"]
    assert rules.unblinding_words("UC-MSC bag dropped") == ["uc-msc"]
    assert rules.unblinding_words("from lot uc-0001", ["UC-0001"]) == ["UC-0001"]
    assert rules.unblinding_words("inactive pump, proactive check") == []
    assert rules.unblinding_words("Bag dropped at receipt", ["UC-0001", None]) == []
