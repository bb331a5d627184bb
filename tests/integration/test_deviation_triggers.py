"""Deviations raised automatically by what happens to a bag or a lot, through the public API: each trigger
opens exactly one deviation, with its category and links; a blinded reader sees a deviation of an active bag
and of a placebo bag the same way; the triggering action answers as before."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import PASSWORD
from tests.pharmacy_support import CELL_LOT, build_trial
from tests.ward_support import handoff, move, print_label, ready_bag, scan, shift_bag

# What differs between two deviations of the same trigger on two bags, whatever their arm.
VARYING = {"deviation_id", "bag_id", "raised_at", "due_at", "updated_at", "description", "participant_id"}


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path)


def _deviations(client, category):
    response = client.get(f"/api/v1/deviations?category={category}")
    assert response.status_code == 200, response.json
    return response.json["items"]


def _prepared(trial, arm="active", index=0):
    participant_id, code = trial.of_arm(arm)[index]
    bag = trial.prepare(code, arm)
    print_label(trial.pharmacist, bag["bag_id"])
    return {**bag, "participant_id": participant_id}


def _same_but_ids(one, other, bag_one, bag_other):
    """Two blinded views equal but for IDs and times (the description names the bag it is about)."""
    assert one["description"].replace(bag_one, "BAG") == other["description"].replace(bag_other, "BAG")
    assert {k: v for k, v in one.items() if k not in VARYING} == {
        k: v for k, v in other.items() if k not in VARYING
    }
    assert set(one) == set(other)


def test_a_bedside_stop_opens_one_deviation_per_bag_committed_with_the_scan(trial):
    bag = ready_bag(trial, "active", 0)
    other_participant = trial.of_arm("placebo")[0][0]
    first = scan(trial, bag["qr_payload"], other_participant)
    assert first.status_code == 409
    assert first.json["error"]["code"] == "wrong_participant"
    again = scan(trial, bag["qr_payload"], other_participant)
    assert again.status_code == 409
    found = _deviations(trial.qa, "bedside_stop")
    assert len(found) == 1
    assert found[0]["bag_id"] == bag["bag_id"]
    assert found[0]["participant_id"] == other_participant
    assert found[0]["source"] == "automatic"
    assert found[0]["title"] == "STOP at the bedside"
    assert "source_lot_number" not in found[0]
    # A match opens nothing.
    assert scan(trial, bag["qr_payload"], bag["participant_id"]).json["match"] is True
    assert len(_deviations(trial.qa, "bedside_stop")) == 1


def test_an_unknown_participant_or_bag_opens_no_deviation(trial):
    bag = ready_bag(trial, "active", 0)
    assert scan(trial, bag["qr_payload"], "P-999").status_code == 404
    assert _deviations(trial.qa, "bedside_stop") == []


def test_a_quarantine_at_receipt_opens_one_deviation_and_a_destroy_decision_another(trial):
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch")
    received = handoff(trial.nurse, bag["bag_id"], "receive", temperature_c=25)
    assert received.status_code == 201
    assert received.json["quarantined"] is True
    found = _deviations(trial.qa, "temperature_excursion")
    assert [(d["bag_id"], d["title"]) for d in found] == [(bag["bag_id"], "Bag quarantined at receipt")]
    decided = trial.pharmacist.post(
        f"/api/v1/bags/{bag['bag_id']}/quarantine-decision",
        json={"decision": "destroy", "reason": "too warm"},
    )
    assert decided.status_code == 200
    assert decided.json["status"] == "destroyed"
    destroyed = _deviations(trial.qa, "destroyed_bag")
    assert [d["bag_id"] for d in destroyed] == [bag["bag_id"]]
    assert "too warm" not in str(destroyed)
    assert len(_deviations(trial.qa, "temperature_excursion")) == 1


def test_a_destroyed_bag_opens_one_deviation_that_never_names_the_reason(trial):
    bag = _prepared(trial, "placebo")
    destroyed = handoff(trial.pharmacist, bag["bag_id"], "destroy", reason="placebo bag dropped")
    assert destroyed.status_code == 201
    assert destroyed.json["bag_status"] == "destroyed"
    assert handoff(trial.pharmacist, bag["bag_id"], "destroy", reason="again").status_code == 409
    found = _deviations(trial.qa, "destroyed_bag")
    assert [d["bag_id"] for d in found] == [bag["bag_id"]]
    assert "placebo" not in str(found)
    assert "dropped" not in str(found)


def test_a_voided_bag_opens_one_deviation_and_a_repeated_void_none(trial):
    bag = _prepared(trial)
    voided = trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/void", json={"reason": "active bag leaked"})
    assert voided.status_code == 200
    assert voided.json["status"] == "voided"
    repeated = trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/void", json={"reason": "again"})
    assert repeated.status_code == 409
    found = _deviations(trial.qa, "voided_bag")
    assert [(d["bag_id"], d["category"]) for d in found] == [(bag["bag_id"], "voided_bag")]
    assert "leaked" not in str(found)


def test_an_expired_bag_opens_one_deviation_when_it_is_marked_expired(trial, app):
    participant_id, code = trial.of_arm("placebo")[0]
    old = trial.prepare(code, "placebo")
    shift_bag(app, old["bag_id"], dt.timedelta(hours=3))
    trial.prepare(code, "placebo")  # finding the code's live bag marks the old one expired
    assert trial.pharmacist.get(f"/api/v1/bags/{old['bag_id']}").json["status"] == "expired"
    found = _deviations(trial.qa, "expired_bag")
    assert [(d["bag_id"], d["raised_by"]) for d in found] == [(old["bag_id"], "system")]


def test_a_recall_opens_one_deviation_on_the_lot(trial):
    recalled = trial.qa.post(
        f"/api/v1/lots/{CELL_LOT}/recall", json={"password": PASSWORD, "reason": "lookback"}
    )
    assert recalled.status_code == 200, recalled.json
    assert recalled.json["status"] == "recalled"
    again = trial.qa.post(
        f"/api/v1/lots/{CELL_LOT}/recall", json={"password": PASSWORD, "reason": "lookback"}
    )
    assert again.status_code == 409
    found = _deviations(trial.qa, "recall")
    assert [(d["lot_number"], d["bag_id"]) for d in found] == [(CELL_LOT, None)]


def test_a_blinded_reader_sees_the_deviations_of_an_active_and_a_placebo_bag_the_same_way(trial):
    active, placebo = _prepared(trial, "active"), _prepared(trial, "placebo")
    for bag, reason in ((active, "cells clumped"), (placebo, "vehicle cloudy")):
        voided = trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/void", json={"reason": reason})
        assert voided.status_code == 200
    by_bag = {d["bag_id"]: d for d in _deviations(trial.qa, "voided_bag")}
    assert set(by_bag) == {active["bag_id"], placebo["bag_id"]}
    _same_but_ids(by_bag[active["bag_id"]], by_bag[placebo["bag_id"]], active["bag_id"], placebo["bag_id"])
    for deviation in by_bag.values():
        assert "source_lot_number" not in deviation
        assert "source_container_id" not in deviation
    one = trial.qa.get(f"/api/v1/deviations/{by_bag[active['bag_id']]['deviation_id']}").json
    other = trial.qa.get(f"/api/v1/deviations/{by_bag[placebo['bag_id']]['deviation_id']}").json
    _same_but_ids(one, other, active["bag_id"], placebo["bag_id"])
