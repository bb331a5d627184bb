"""Pure rules of the issue kit, the definition's `issue_kit`, and the blinding declaration of containers."""

import pytest
from marshmallow import ValidationError

from tracker.blinding import (
    BLINDED_CONTAINER_COUNTS,
    BLINDED_CONTAINER_STATUSES,
    blinded_container_counts,
    container_status_for,
    custody_for,
)
from tracker.custody.rules import CONTAINER_MOVES, CONTAINER_STATUSES, container_status_after, discard_move
from tracker.stock.rules import group_into_kits, incomplete_kit_message, kit_shortfall, kit_text
from tracker.studies.definition import parse_definition
from tracker.studies.services import read_definition_file

UMSIS_KIT = {"ucmsc": 1, "placebo": 1}


def test_a_kit_is_described_in_plain_words():
    assert kit_text(UMSIS_KIT) == "1 UC-MSC container and 1 vehicle container"
    assert kit_text({"ucmsc": 2, "placebo": 1}) == "2 UC-MSC containers and 1 vehicle container"


@pytest.mark.parametrize(
    ("materials", "missing"),
    [
        (["ucmsc", "placebo"], {}),
        (["placebo", "ucmsc", "ucmsc", "placebo"], {}),
        (["ucmsc"], {"placebo": 1}),
        ([], {"ucmsc": 1, "placebo": 1}),
        (["ucmsc", "ucmsc", "placebo"], {"placebo": 1}),
        (["placebo", "placebo", "placebo"], {"ucmsc": 3}),
    ],
)
def test_what_a_request_lacks_to_be_whole_kits(materials, missing):
    assert kit_shortfall(UMSIS_KIT, materials) == missing


def test_kits_of_two_cells_and_one_vehicle_need_each_share():
    kit = {"ucmsc": 2, "placebo": 1}
    assert kit_shortfall(kit, ["ucmsc", "placebo"]) == {"ucmsc": 1}
    assert kit_shortfall(kit, ["ucmsc", "ucmsc", "ucmsc", "placebo"]) == {"ucmsc": 1, "placebo": 1}


def test_the_refusal_says_what_is_missing():
    message = incomplete_kit_message(UMSIS_KIT, {"placebo": 1}, [])
    assert message == (
        "A kit is 1 UC-MSC container and 1 vehicle container: "
        "1 vehicle container is missing to make whole kits"
    )


def test_containers_group_into_kits_in_the_order_given():
    items = [("ucmsc", "C1"), ("ucmsc", "C2"), ("placebo", "V1"), ("placebo", "V2")]
    assert group_into_kits(UMSIS_KIT, items) == [["C1", "V1"], ["C2", "V2"]]
    assert group_into_kits(UMSIS_KIT, [("placebo", "V1"), ("ucmsc", "C1")]) == [["V1", "C1"]]


def test_a_discard_in_the_pharmacy_is_its_own_move():
    assert discard_move("stored") == "discard"
    assert discard_move("issued") == "discard_in_pharmacy"
    assert container_status_after("issued", "discard_in_pharmacy") == "discarded_in_pharmacy"
    assert container_status_after("issued", "discard") is None
    assert container_status_after("thawed", "discard_in_pharmacy") is None


def test_every_container_status_has_its_blinded_word_and_nothing_after_the_issue_shows():
    assert set(BLINDED_CONTAINER_STATUSES) == set(CONTAINER_STATUSES)
    assert set(BLINDED_CONTAINER_STATUSES.values()) == set(BLINDED_CONTAINER_COUNTS)
    after_issue = {CONTAINER_MOVES["issue"][1]} | {
        ends for action, (starts, ends) in CONTAINER_MOVES.items() if starts == {"issued"}
    }
    assert {BLINDED_CONTAINER_STATUSES[s] for s in after_issue} == {"in_pharmacy"}
    assert container_status_for("gmp", "thawed") == "in_pharmacy"
    assert container_status_for("pharmacist", "thawed") == "thawed"
    assert blinded_container_counts(["stored", "thawed", "used", "discarded", "issued"]) == {
        "in_store": 1, "in_pharmacy": 3, "discarded_in_lab": 1,
    }  # fmt: skip


def test_blinded_custody_ends_at_the_issue_and_carries_no_sequence():
    events = [
        {"event_id": 7, "action": "issue"},
        {"event_id": 9, "action": "thaw"},
        {"event_id": 12, "action": "discard_in_pharmacy"},
    ]
    assert custody_for("qa", "container", events) == [{"action": "issue"}]
    assert custody_for("pharmacist", "container", events) == events


def _definition(**changes):
    raw = read_definition_file("umsis")
    raw.update(changes)
    return raw


def test_the_shipped_definitions_set_a_kit_of_one_cell_and_one_vehicle_container():
    for name in ("umsis", "umsis-two-person"):
        assert parse_definition(read_definition_file(name)).issue_kit == UMSIS_KIT


def test_a_definition_without_a_kit_issues_single_containers():
    raw = _definition()
    del raw["issue_kit"]
    assert parse_definition(raw).issue_kit is None


@pytest.mark.parametrize(
    "kit",
    [
        {},
        {"ucmsc": 1},
        {"ucmsc": 0, "placebo": 1},
        {"ucmsc": 1, "placebo": "1"},
        {"cells": 1, "placebo": 1},
        [1],
    ],
)
def test_a_kit_must_hold_each_material_of_the_arms(kit):
    with pytest.raises(ValidationError) as refused:
        parse_definition(_definition(issue_kit=kit))
    assert "issue_kit" in refused.value.messages
