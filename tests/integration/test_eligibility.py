"""Eligibility at enrolment and the stratum derived from stroke onset, through the API: a participant who
fails a criterion, whose checklist is incomplete, or whose stratum disagrees with the onset is refused and
nothing is stored."""

import datetime as dt

import pytest

from tests.integration.eligibility_support import (
    ELIGIBLE,
    NOW,
    checklist,
    freeze_enrolment_clock,
    onset,
)
from tests.integration.randomization_support import import_list, list_rows, mentions_an_arm

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)
S = dt.timedelta(seconds=1)


@pytest.fixture
def rows(runner, tmp_path):
    loaded = list_rows(per_stratum=4)
    import_list(runner, tmp_path, loaded)
    return loaded


def _first_code(rows, stratum):
    return next(code for code, s, _ in rows if s == stratum)


def _enrol(investigator, **body):
    return investigator.post("/api/v1/participants", json={"participant_id": "P-001", **body})


def _assert_nothing_stored(login, rows, participant_id="P-001"):
    """No participant, no enrol event, and the stratum's first code still free."""
    assert login("nurse").get(f"/api/v1/participants/{participant_id}").status_code == 404
    events = login("qa").get("/api/v1/audit?entity_type=participant").json["events"]
    assert events == []
    again = login("investigator").post(
        "/api/v1/participants", json={"participant_id": "OTHER-1", "stratum": "C"}
    )
    assert again.json["randomization_code"] == _first_code(rows, "C")


# --- the checklist -------------------------------------------------------------------------------


def test_an_eligible_participant_is_randomized_and_the_checklist_is_stored_and_audited(rows, login):
    investigator = login("investigator")
    enrolled = _enrol(investigator, stratum="B", eligibility=ELIGIBLE)
    assert enrolled.status_code == 201, enrolled.json
    assert set(enrolled.json) == {"participant_id", "stratum", "randomization_code", "randomized_at", "site"}
    shown = login("nurse").get("/api/v1/participants/P-001").json
    record = shown["eligibility"]
    assert record["eligible"] is True
    assert record["study"] == "umsis"
    answers = {c["key"]: c["answer"] for c in record["criteria"]}
    assert answers["haemoglobin"] == 132
    assert answers["informed_consent"] == "yes"
    assert answers["disturbance_of_consciousness"] == "no"
    assert len(answers) == len(ELIGIBLE)
    haemoglobin = next(c for c in record["criteria"] if c["key"] == "haemoglobin")
    assert haemoglobin["requirement"] == "> 115 g/L"
    assert haemoglobin["category"] == "inclusion"
    assert shown["stratum_from_onset"] is False
    assert shown["onset_at"] is None
    assert not mentions_an_arm(shown)
    event = login("qa").get("/api/v1/audit?entity_type=participant&entity_id=P-001").json["events"][0]
    assert event["action"] == "enrol"
    assert event["user"] == investigator.username
    assert event["after"]["eligible"] is True
    assert event["after"]["eligibility"]["platelets"] == 210
    assert event["after"]["eligibility"]["tumour"] == "no"


@pytest.mark.parametrize(
    ("criterion", "value", "eligible"),
    [
        # age 18–80 years, both bounds inclusive, whole years
        ("age", 18, True), ("age", 17, False), ("age", 19, True),
        ("age", 80, True), ("age", 81, False), ("age", 79, True),
        # NIHSS 6–25
        ("nihss", 6, True), ("nihss", 5, False), ("nihss", 25, True), ("nihss", 26, False),
        # limb movement score at least 2
        ("nihss_limb_motor", 2, True), ("nihss_limb_motor", 1, False), ("nihss_limb_motor", 3, True),
        # haemoglobin > 115 g/L: the bound itself fails
        ("haemoglobin", 115, False), ("haemoglobin", 115.1, True), ("haemoglobin", 114.9, False),
        # platelets > 100 ×10⁹/L, leukocytes > 3 ×10⁹/L
        ("platelets", 100, False), ("platelets", 100.5, True), ("platelets", 99.5, False),
        ("leukocytes", 3, False), ("leukocytes", 3.01, True), ("leukocytes", 2.99, False),
        # exclusion: systolic blood pressure > 180 or < 90 mmHg
        ("systolic_bp", 90, True), ("systolic_bp", 89.9, False), ("systolic_bp", 180, True),
        ("systolic_bp", 180.1, False),
        # numbers may come as the text a form sends
        ("haemoglobin", "115.5", True), ("haemoglobin", "110", False),
    ],
)  # fmt: skip
def test_a_numeric_criterion_at_just_inside_and_just_outside_its_bound(
    rows, login, criterion, value, eligible
):
    response = _enrol(login("investigator"), stratum="A", eligibility=checklist(**{criterion: value}))
    if eligible:
        assert response.status_code == 201, response.json
        return
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "not_eligible"
    assert list(error["details"]) == [criterion]
    assert "eligible only when" in error["details"][criterion][0]
    _assert_nothing_stored(login, rows)


@pytest.mark.parametrize(
    ("criterion", "answer", "eligible"),
    [
        ("informed_consent", "yes", True), ("informed_consent", "no", False),
        ("informed_consent", False, False), ("anterior_circulation_infarct", "No", False),
        ("tumour", "yes", False), ("tumour", True, False), ("tumour", False, True),
        ("unsuitable_per_investigator", "YES", False), ("posterior_circulation_infarct", "no", True),
    ],
)  # fmt: skip
def test_a_yes_no_criterion_takes_only_its_eligible_answer(rows, login, criterion, answer, eligible):
    response = _enrol(login("investigator"), stratum="A", eligibility=checklist(**{criterion: answer}))
    if eligible:
        assert response.status_code == 201, response.json
        return
    assert response.status_code == 422
    assert response.json["error"]["code"] == "not_eligible"
    assert list(response.json["error"]["details"]) == [criterion]
    _assert_nothing_stored(login, rows)


def test_every_failed_criterion_is_named(rows, login):
    response = _enrol(
        login("investigator"), stratum="A", eligibility=checklist(age=85, epilepsy="yes", platelets=80)
    )
    assert response.status_code == 422
    assert set(response.json["error"]["details"]) == {"age", "epilepsy", "platelets"}
    assert "Age" in response.json["error"]["message"]


def test_an_incomplete_checklist_names_what_is_missing(rows, login):
    partial = {k: v for k, v in ELIGIBLE.items() if k not in ("nihss", "tumour")}
    response = _enrol(login("investigator"), stratum="A", eligibility=partial)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "eligibility_incomplete"
    assert set(error["details"]) == {"nihss", "tumour"}
    assert "nihss" in error["message"]
    assert "NIHSS score" in error["details"]["nihss"][0]
    _assert_nothing_stored(login, rows)


def test_a_null_answer_counts_as_missing(rows, login):
    response = _enrol(login("investigator"), stratum="A", eligibility=checklist(age=None))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "eligibility_incomplete"
    assert set(response.json["error"]["details"]) == {"age"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"age": "old"}, "age"),
        ({"age": 64.5}, "age"),  # whole years
        ({"nihss": True}, "nihss"),
        ({"haemoglobin": float("1e400")}, "haemoglobin"),
        ({"tumour": "maybe"}, "tumour"),
        ({"tumour": 0}, "tumour"),
        ({"smoker": "no"}, "smoker"),
    ],
)
def test_an_answer_that_cannot_be_read_is_refused(rows, login, changes, field):
    response = _enrol(login("investigator"), stratum="A", eligibility=checklist(**changes))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert field in response.json["error"]["details"]
    _assert_nothing_stored(login, rows)


def test_an_eligibility_that_is_not_an_object_is_refused(rows, login):
    response = _enrol(login("investigator"), stratum="A", eligibility=["age", 64])
    assert response.status_code == 422
    assert "eligibility" in response.json["error"]["details"]


def test_the_contract_call_without_a_checklist_still_works_in_the_shipped_definition(rows, login):
    response = _enrol(login("investigator"), stratum="E")
    assert response.status_code == 201
    assert login("nurse").get("/api/v1/participants/P-001").json["eligibility"] is None


# --- the stratum from the onset ------------------------------------------------------------------

BOUNDARY_CASES = [
    (6 * H - S, None), (6 * H, "A"), (6 * H + S, "A"),
    (24 * H - S, "A"), (24 * H, "B"), (24 * H + S, "B"),
    (3 * D - S, "B"), (3 * D, "C"), (3 * D + S, "C"),
    (7 * D - S, "C"), (7 * D, "D"), (7 * D + S, "D"),
    (28 * D - S, "D"), (28 * D, "E"), (28 * D + S, "E"),
    (183 * D - S, "E"), (183 * D, "E"), (183 * D + S, None),
]  # fmt: skip


@pytest.mark.parametrize(("before", "stratum"), BOUNDARY_CASES, ids=[str(b) for b, _ in BOUNDARY_CASES])
def test_each_stratum_boundary_belongs_to_exactly_one_stratum(rows, login, monkeypatch, before, stratum):
    freeze_enrolment_clock(monkeypatch)
    response = _enrol(login("investigator"), onset_at=onset(before))
    if stratum is None:
        assert response.status_code == 422, response.json
        assert response.json["error"]["code"] == "onset_outside_strata"
        assert "onset_at" in response.json["error"]["details"]
        _assert_nothing_stored(login, rows)
        return
    assert response.status_code == 201, response.json
    assert response.json["stratum"] == stratum
    assert response.json["randomization_code"] == _first_code(rows, stratum)
    assert response.json["randomized_at"] == NOW.isoformat()


def test_the_derived_stratum_and_the_onset_are_stored_shown_and_audited(rows, login, monkeypatch):
    freeze_enrolment_clock(monkeypatch)
    response = _enrol(login("investigator"), onset_at=onset(30 * H), stratum="B", eligibility=ELIGIBLE)
    assert response.status_code == 201, response.json
    shown = login("investigator").get("/api/v1/participants/P-001").json
    assert shown["stratum"] == "B"
    assert shown["stratum_from_onset"] is True
    assert shown["onset_to_randomization_hours"] == 30.0
    assert dt.datetime.fromisoformat(shown["onset_at"]) == NOW - 30 * H
    assert shown["onset_at"].endswith("+00:00")
    event = login("qa").get("/api/v1/audit?entity_type=participant&entity_id=P-001").json["events"][0]
    assert event["after"]["onset_at"] == (NOW - 30 * H).isoformat()
    assert event["after"]["stratum_from_onset"] is True
    assert event["after"]["onset_to_randomization"] == "30 h 0 min (1.25 days)"


def test_a_stratum_that_disagrees_with_the_onset_is_refused_with_the_computed_interval(
    rows, login, monkeypatch
):
    freeze_enrolment_clock(monkeypatch)
    response = _enrol(login("investigator"), onset_at=onset(30 * H), stratum="A")
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "stratum_disagrees_with_onset"
    assert "30 h 0 min (1.25 days)" in error["message"]
    assert "stratum B" in error["message"]
    assert "stratum B" in error["details"]["stratum"][0]
    assert "30 h 0 min" in error["details"]["onset_at"][0]
    _assert_nothing_stored(login, rows)


def test_an_onset_in_the_future_is_refused(rows, login, monkeypatch):
    freeze_enrolment_clock(monkeypatch)
    response = _enrol(login("investigator"), onset_at=onset(-2 * dt.timedelta(minutes=1)), stratum="A")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "time_in_future"
    assert "onset_at" in response.json["error"]["details"]
    _assert_nothing_stored(login, rows)


def test_an_onset_without_an_offset_is_refused(rows, login):
    response = _enrol(login("investigator"), onset_at="2024-03-09T08:00:00", stratum="B")
    assert response.status_code == 422
    assert "onset_at" in response.json["error"]["details"]
    _assert_nothing_stored(login, rows)


def test_an_unknown_stratum_is_refused_before_the_onset_is_judged(rows, login, monkeypatch):
    freeze_enrolment_clock(monkeypatch)
    response = _enrol(login("investigator"), onset_at=onset(30 * H), stratum="Q")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "unknown_stratum"


def test_without_stratum_and_onset_the_stratum_is_required(rows, login):
    response = _enrol(login("investigator"), eligibility=ELIGIBLE)
    assert response.status_code == 422
    assert "stratum" in response.json["error"]["details"]
    _assert_nothing_stored(login, rows)


def test_an_ineligible_participant_is_refused_even_with_a_good_onset(rows, login, monkeypatch):
    freeze_enrolment_clock(monkeypatch)
    response = _enrol(login("investigator"), onset_at=onset(30 * H), eligibility=checklist(age=81))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "not_eligible"
    _assert_nothing_stored(login, rows)


# --- a study that requires the checklist and the onset --------------------------------------------


@pytest.fixture
def two_person_study(runner, rows):
    result = runner.invoke(args=["study", "load", "umsis-two-person"])
    assert result.exit_code == 0, result.output
    return rows


def test_a_study_may_require_the_checklist(two_person_study, login, monkeypatch):
    freeze_enrolment_clock(monkeypatch)
    investigator = login("investigator")
    without = _enrol(investigator, onset_at=onset(2 * D))
    assert without.status_code == 422
    assert without.json["error"]["code"] == "eligibility_incomplete"
    assert set(without.json["error"]["details"]) == set(ELIGIBLE)
    _assert_nothing_stored_in_two_person(login)
    enrolled = _enrol(investigator, onset_at=onset(2 * D), eligibility=ELIGIBLE)
    assert enrolled.status_code == 201, enrolled.json
    assert enrolled.json["stratum"] == "B"
    shown = investigator.get("/api/v1/participants/P-001").json
    assert shown["eligibility"]["study"] == "umsis-two-person"


def test_a_study_may_require_the_onset(two_person_study, login):
    response = _enrol(login("investigator"), stratum="B", eligibility=ELIGIBLE)
    assert response.status_code == 422
    assert "onset_at" in response.json["error"]["details"]
    _assert_nothing_stored_in_two_person(login)


def _assert_nothing_stored_in_two_person(login):
    assert login("nurse").get("/api/v1/participants/P-001").status_code == 404
    assert login("qa").get("/api/v1/audit?entity_type=participant").json["events"] == []


def test_the_demo_enrols_through_the_checklist_with_strata_from_onset(runner, login):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    nurse = login("nurse")
    for participant_id, stratum in (("UMSIS-001", "A"), ("UMSIS-004", "D")):
        shown = nurse.get(f"/api/v1/participants/{participant_id}").json
        assert shown["stratum"] == stratum
        assert shown["stratum_from_onset"] is True
        assert shown["eligibility"]["eligible"] is True
        assert len(shown["eligibility"]["criteria"]) == len(ELIGIBLE)
