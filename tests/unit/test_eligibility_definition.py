"""The study definition carries the protocol's eligibility criteria and onset windows as data; a definition
with gaps or overlaps between windows, or a criterion without its bound or eligible answer, is refused."""

import copy
import json

import pytest
from marshmallow import ValidationError

from tracker.studies.definition import parse_definition
from tracker.studies.services import SHIPPED

RAW = json.loads((SHIPPED / "umsis.json").read_text())
UMSIS = parse_definition(RAW)


def _with(change) -> dict:
    raw = copy.deepcopy(RAW)
    change(raw)
    return raw


def test_the_shipped_windows_are_the_protocols_in_hours():
    windows = [(s.code, s.onset_from_hours, s.onset_to_hours) for s in UMSIS.strata]
    # A 6–24 h, B 1–3 d, C 4–7 d (from the end of day 3), D 1–4 wk, E 1–6 months (4 wk to 183 d)
    assert windows == [("A", 6, 24), ("B", 24, 72), ("C", 72, 168), ("D", 168, 672), ("E", 672, 183 * 24)]


def test_the_shipped_criteria_follow_the_trial_record():
    criteria = {c.key: c for c in UMSIS.eligibility.criteria}
    assert criteria["age"].requirement == "≥ 18 and ≤ 80 years"
    assert criteria["nihss"].requirement == "≥ 6 and ≤ 25 points"
    assert criteria["nihss_limb_motor"].requirement == "≥ 2 points"
    assert criteria["haemoglobin"].requirement == "> 115 g/L"
    assert criteria["platelets"].requirement == "> 100 ×10⁹/L"
    assert criteria["leukocytes"].requirement == "> 3 ×10⁹/L"
    assert criteria["systolic_bp"].requirement == "≥ 90 and ≤ 180 mmHg"
    assert criteria["informed_consent"].eligible_answer == "yes"
    exclusions = [c for c in UMSIS.eligibility.criteria if c.category == "exclusion"]
    assert len(exclusions) == 18  # every exclusion of the record
    assert all(c.eligible_answer == "no" for c in exclusions if c.kind == "yes_no")
    assert UMSIS.eligibility.checklist_required is False
    assert UMSIS.two_person_verification is False


def test_the_second_shipped_definition_differs_only_in_its_required_checklist_onset_and_bedside_check():
    raw = json.loads((SHIPPED / "umsis-two-person.json").read_text())
    second = parse_definition(raw)
    assert second.eligibility.checklist_required is True
    assert second.eligibility.onset_required is True
    assert second.two_person_verification is True
    assert second.code == "umsis-two-person"
    raw["code"] = RAW["code"]
    raw["bedside"] = RAW["bedside"]
    raw["eligibility"]["checklist_required"] = False
    raw["eligibility"]["onset_required"] = False
    assert raw == RAW


def test_a_definition_without_eligibility_still_loads_with_no_checklist():
    definition = parse_definition(_with(lambda raw: raw.pop("eligibility")))
    assert definition.eligibility.criteria == ()
    assert definition.eligibility.checklist_required is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda raw: raw["strata"][2].update(onset_from_hours=96),
            "must equal the onset_to_hours of stratum B",
        ),
        (
            lambda raw: raw["strata"][1].update(onset_to_hours=80),
            "must equal the onset_to_hours of stratum B",
        ),
        (lambda raw: raw["strata"][0].update(onset_to_hours=6), "must be after onset_from_hours"),
    ],
)
def test_onset_windows_with_a_gap_an_overlap_or_no_length_are_refused(change, message):
    with pytest.raises(ValidationError) as refused:
        parse_definition(_with(change))
    assert any(message in problem for problem in refused.value.messages["strata"])


def _criterion(raw, key):
    return next(c for c in raw["eligibility"]["criteria"] if c["key"] == key)


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: _criterion(raw, "age").pop("bounds"),
        lambda raw: _criterion(raw, "age").pop("unit"),
        lambda raw: _criterion(raw, "age").update(eligible_answer="yes"),
        lambda raw: _criterion(raw, "tumour").pop("eligible_answer"),
        lambda raw: _criterion(raw, "tumour").update(eligible_answer="maybe"),
        lambda raw: _criterion(raw, "tumour").update(unit="g/L"),
        lambda raw: _criterion(raw, "tumour").update(key="stratum"),
        lambda raw: _criterion(raw, "tumour").update(key="epilepsy"),
        lambda raw: _criterion(raw, "age").update(bounds=[{"operator": "=", "limit": 5}]),
        lambda raw: raw["eligibility"].update(criteria=[], checklist_required=True),
    ],
)
def test_a_criterion_without_its_bound_or_eligible_answer_is_refused(change):
    with pytest.raises(ValidationError) as refused:
        parse_definition(_with(change))
    assert "eligibility" in refused.value.messages
