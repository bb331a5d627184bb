"""The bag's state machine (tracker/pharmacy/rules.py): what the pages offer is what the API's handoff check
allows, by role, from the stored status, the use-by time and the quarantine."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.custody.rules import BAG_HANDOFF_ACTIONS
from tracker.pharmacy import rules

STATUSES = ("prepared", "dispatched", "received", "returned", "infused", "destroyed", "voided", "expired")
NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("expired", [False, True])
@pytest.mark.parametrize("quarantined", [False, True])
@pytest.mark.parametrize("role", ["pharmacist", "nurse"])
def test_a_page_offers_no_handoff_the_api_would_refuse(status, expired, quarantined, role):
    offered = rules.bag_actions(status, expired=expired, quarantined=quarantined, role=role)
    for action in set(offered) & set(BAG_HANDOFF_ACTIONS):
        assert rules.handoff_refusal(status, action, expired=expired, quarantined=quarantined) is None


def test_a_bag_past_its_use_by_time_is_not_dispatched_but_can_still_come_back_or_be_destroyed():
    assert rules.handoff_refusal("prepared", "dispatch", expired=True, quarantined=False) == "expired"
    assert "dispatch" not in rules.bag_actions("prepared", expired=True, quarantined=False, role="pharmacist")
    assert "destroy" in rules.bag_actions("prepared", expired=True, quarantined=False, role="pharmacist")
    assert "return" in rules.bag_actions("received", expired=True, quarantined=False, role="nurse")


def test_a_bag_in_transit_is_destroyed_by_no_one():
    refusal = rules.handoff_refusal("dispatched", "destroy", expired=True, quarantined=False)
    assert refusal == "action_out_of_order"
    for role in ("pharmacist", "nurse"):
        assert "destroy" not in rules.bag_actions("dispatched", expired=True, quarantined=False, role=role)


def test_a_quarantined_bag_waits_for_the_pharmacy_decision():
    assert rules.handoff_refusal("returned", "dispatch", expired=False, quarantined=True) == "quarantined"
    assert rules.bag_actions("returned", expired=False, quarantined=True, role="pharmacist") == [
        "print_label",
        "decide_quarantine",
        "void",
    ]


def test_a_voided_bag_is_neither_printed_nor_voided_again_but_is_destroyed():
    assert rules.bag_actions("voided", expired=False, quarantined=False, role="pharmacist") == ["destroy"]


def test_blinded_readers_are_offered_nothing():
    assert rules.bag_actions("received", expired=False, quarantined=False, role="investigator") == []


def test_the_use_by_time_counts_while_the_bag_is_live_or_expired_by_it():
    use_by = NOW - dt.timedelta(minutes=1)
    assert rules.shown_status("received", use_by, NOW) == "expired"
    assert rules.use_by_counts("received", use_by, NOW)
    assert not rules.use_by_counts("infused", use_by, NOW)
    assert not rules.use_by_counts("voided", NOW + dt.timedelta(hours=1), NOW)
