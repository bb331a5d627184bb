"""Enrolment (the stratum's next code, atomically), reading participants by role, the emergency code-break
and its report: no blinded answer ever carries an arm."""

import csv
import io
import threading

import pytest

from tests.conftest import PASSWORD
from tests.integration.randomization_support import (
    import_list,
    list_rows,
    mentions_an_arm,
    text_mentions_an_arm,
)
from tracker.notifications.services import list_notifications
from tracker.web.context import reader


@pytest.fixture
def rows(runner, tmp_path):
    """A loaded list: 4 codes per stratum, arms alternating from active."""
    loaded = list_rows(per_stratum=4)
    import_list(runner, tmp_path, loaded)
    return loaded


def _codes(rows, stratum):
    return [code for code, s, _ in rows if s == stratum]


def _arm(rows, code):
    return next(arm for c, _, arm in rows if c == code)


def test_enrolment_takes_the_strata_codes_in_list_order(rows, login):
    investigator = login("investigator")
    first = investigator.post("/api/v1/participants", json={"participant_id": "P-001", "stratum": "B"})
    assert first.status_code == 201, first.json
    assert set(first.json) == {"participant_id", "stratum", "randomization_code", "randomized_at", "site"}
    assert first.json["site"] == "SITE-01"  # a one-site trial's first site, made at its first record
    assert first.json["randomization_code"] == _codes(rows, "B")[0]
    assert first.json["randomized_at"].endswith("+00:00")
    second = investigator.post("/api/v1/participants", json={"participant_id": "P-002", "stratum": "B"})
    other = investigator.post("/api/v1/participants", json={"participant_id": "P-003", "stratum": "D"})
    assert second.json["randomization_code"] == _codes(rows, "B")[1]
    assert other.json["randomization_code"] == _codes(rows, "D")[0]


def test_enrolling_a_participant_twice_is_refused(rows, login):
    investigator = login("investigator")
    investigator.post("/api/v1/participants", json={"participant_id": "P-001", "stratum": "A"})
    again = investigator.post("/api/v1/participants", json={"participant_id": "P-001", "stratum": "C"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "participant_exists"
    nurse = login("nurse")
    assert nurse.get("/api/v1/participants/P-001").json["stratum"] == "A"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"participant_id": "P-001", "stratum": "F"}, "stratum"),
        ({"participant_id": "P-001", "stratum": "a"}, "stratum"),
        ({"participant_id": "P 001/x", "stratum": "A"}, "participant_id"),
        ({"participant_id": "P-001"}, "stratum"),
    ],
)
def test_bad_enrolments_are_refused_with_422_and_use_no_code(rows, login, body, field):
    investigator = login("investigator")
    response = investigator.post("/api/v1/participants", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]
    ok = investigator.post("/api/v1/participants", json={"participant_id": "P-009", "stratum": "A"})
    assert ok.json["randomization_code"] == _codes(rows, "A")[0]


def test_a_used_up_stratum_answers_409_and_tells_the_statistician(app, rows, login):
    investigator = login("investigator")
    for n in range(4):
        assert (
            investigator.post(
                "/api/v1/participants", json={"participant_id": f"E-{n}", "stratum": "E"}
            ).status_code
            == 201
        )
    refused = investigator.post("/api/v1/participants", json={"participant_id": "E-9", "stratum": "E"})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "stratum_exhausted"
    assert login("nurse").get("/api/v1/participants/E-9").status_code == 404
    notes = _notifications(app)
    assert [(n["audience"], n["kind"]) for n in notes] == [("statistician", "stratum_exhausted")]
    assert "E-9" in notes[0]["body"]
    assert "stratum E" in notes[0]["subject"]


def test_enrolment_without_any_list_is_refused_as_exhausted(login):
    refused = login("investigator").post(
        "/api/v1/participants", json={"participant_id": "P-1", "stratum": "A"}
    )
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "stratum_exhausted"


def test_sixteen_simultaneous_enrolments_get_sixteen_distinct_codes_in_list_order(
    app, runner, tmp_path, login
):
    loaded = list_rows(per_stratum=20, strata="C")
    import_list(runner, tmp_path, loaded)
    investigator = login("investigator")
    barrier = threading.Barrier(16)
    answers: dict[str, dict] = {}

    def enrol(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            "/api/v1/participants",
            json={"participant_id": f"RACE-{n:02d}", "stratum": "C"},
            headers={"Authorization": f"Bearer {investigator.token}"},
        )
        answers[f"RACE-{n:02d}"] = {"status": response.status_code, **(response.json or {})}

    threads = [threading.Thread(target=enrol, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [a["status"] for a in answers.values()] == [201] * 16, answers
    by_time = sorted(answers.values(), key=lambda a: a["randomized_at"])
    assert [a["randomization_code"] for a in by_time] == _codes(loaded, "C")[:16]


def test_participant_answers_by_role_arm_only_for_the_pharmacist(rows, login):
    login("investigator").post("/api/v1/participants", json={"participant_id": "P-001", "stratum": "A"})
    code = _codes(rows, "A")[0]
    pharmacist = login("pharmacist").get("/api/v1/participants/P-001")
    assert pharmacist.status_code == 200
    assert pharmacist.json["arm"] == _arm(rows, code) == "active"
    assert pharmacist.json["bag"] is None
    assert pharmacist.json["infusion"] is None
    for role in ("nurse", "investigator"):
        answer = login(role).get("/api/v1/participants/P-001")
        assert answer.status_code == 200
        assert answer.json["randomization_code"] == code
        assert "arm" not in answer.json
        assert answer.json["bag"] is None
    assert login("nurse").get("/api/v1/participants/NOPE").status_code == 404


def test_no_blinded_answer_of_the_participant_routes_contains_an_arm(rows, login):
    """Every JSON answer a nurse or investigator gets from the participant routes, good and bad."""
    investigator, nurse = login("investigator"), login("nurse")
    answers = []
    for n, stratum in enumerate("AABBCDE"):
        answers.append(
            investigator.post("/api/v1/participants", json={"participant_id": f"S-{n}", "stratum": stratum})
        )
    answers.append(investigator.post("/api/v1/participants", json={"participant_id": "S-0", "stratum": "A"}))
    answers.append(investigator.post("/api/v1/participants", json={"participant_id": "S-9", "stratum": "Z"}))
    for n in range(7):
        for blinded in (investigator, nurse):
            answers.append(blinded.get(f"/api/v1/participants/S-{n}"))
    answers.append(nurse.get("/api/v1/participants/S-404"))
    answers.append(nurse.post("/api/v1/participants", json={"participant_id": "S-8", "stratum": "A"}))
    answers.append(nurse.post("/api/v1/participants/S-0/unblind", json={"reason": "x", "password": PASSWORD}))
    answers.append(
        investigator.post("/api/v1/participants/S-0/unblind", json={"reason": " ", "password": PASSWORD})
    )
    answers.append(
        investigator.post("/api/v1/participants/S-0/unblind", json={"reason": "SAE", "password": "wrong"})
    )
    # After a code-break the investigator's ordinary answers stay blinded.
    assert (
        investigator.post(
            "/api/v1/participants/S-1/unblind", json={"reason": "SAE", "password": PASSWORD}
        ).status_code
        == 200
    )
    answers.append(investigator.get("/api/v1/participants/S-1"))
    assert len(answers) > 20
    for response in answers:
        assert response.is_json
        assert not mentions_an_arm(response.json), response.json
        assert not text_mentions_an_arm(response.get_data(as_text=True))


def test_a_code_break_reveals_the_arm_of_one_participant_to_the_investigator(rows, login):
    investigator = login("investigator")
    investigator.post("/api/v1/participants", json={"participant_id": "P-001", "stratum": "A"})
    investigator.post("/api/v1/participants", json={"participant_id": "P-002", "stratum": "A"})
    response = investigator.post(
        "/api/v1/participants/P-002/unblind",
        json={"reason": "Anaphylaxis: treating physician asks", "password": PASSWORD},
    )
    assert response.status_code == 200, response.json
    assert response.json["participant_id"] == "P-002"
    assert response.json["arm"] == _arm(rows, _codes(rows, "A")[1]) == "placebo"


def test_a_code_break_is_audited_without_the_arm_and_reported_to_qa_and_sponsor(app, rows, login):
    investigator = login("investigator")
    investigator.post("/api/v1/participants", json={"participant_id": "P-001", "stratum": "A"})
    investigator.post(
        "/api/v1/participants/P-001/unblind", json={"reason": "Suspected SUSAR", "password": PASSWORD}
    )
    qa = login("qa")
    events = qa.get("/api/v1/audit?entity_type=participant&entity_id=P-001").json["events"]
    assert [e["action"] for e in events] == ["enrol", "unblind"]
    unblind = events[-1]
    assert unblind["after"]["arm_revealed"] is True
    assert unblind["reason"] == "Suspected SUSAR"
    assert unblind["user"] == investigator.username
    assert not mentions_an_arm(events)
    notes = _notifications(app)
    assert sorted(n["audience"] for n in notes) == ["qa", "sponsor"]
    for note in notes:
        assert "P-001" in note["subject"]
        assert "Suspected SUSAR" in note["body"]
        assert not text_mentions_an_arm(note["subject"] + note["body"].replace("does not name the arm", ""))
    report = qa.get("/api/v1/reports/code-breaks").json
    assert [(i["participant_id"], i["broken_by"], i["reason"]) for i in report["items"]] == [
        ("P-001", investigator.username, "Suspected SUSAR")
    ]
    assert not mentions_an_arm(report)
    as_csv = login("admin").get("/api/v1/reports/code-breaks.csv")
    assert as_csv.mimetype == "text/csv"
    lines = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert [(r["participant_id"], r["reason"], r["kind"]) for r in lines] == [
        ("P-001", "Suspected SUSAR", "emergency")
    ]
    assert not text_mentions_an_arm(as_csv.get_data(as_text=True))


def test_a_code_break_needs_the_right_password_and_a_reason_and_one_participant(app, rows, login):
    investigator = login("investigator")
    investigator.post("/api/v1/participants", json={"participant_id": "P-001", "stratum": "A"})
    url = "/api/v1/participants/P-001/unblind"
    wrong = investigator.post(url, json={"reason": "SAE", "password": "not-my-password"})
    assert wrong.status_code == 401
    assert wrong.json["error"]["code"] == "wrong_password"
    for reason in ("", "   "):
        empty = investigator.post(url, json={"reason": reason, "password": PASSWORD})
        assert empty.status_code == 422
        assert "reason" in empty.json["error"]["details"]
    assert investigator.post(url, json={"password": PASSWORD}).status_code == 422
    several = investigator.post(
        url, json={"reason": "SAE", "password": PASSWORD, "participant_ids": ["P-002"]}
    )
    assert several.status_code == 422
    unknown = investigator.post(
        "/api/v1/participants/P-404/unblind", json={"reason": "SAE", "password": PASSWORD}
    )
    assert unknown.status_code == 404
    for role in ("pharmacist", "nurse", "statistician", "qa"):
        assert login(role).post(url, json={"reason": "SAE", "password": PASSWORD}).status_code == 403
    qa = login("qa")
    assert qa.get("/api/v1/reports/code-breaks").json == {"items": []}
    assert [e["action"] for e in qa.get("/api/v1/audit?entity_id=P-001").json["events"]] == ["enrol"]
    assert _notifications(app) == []


def _notifications(app):
    """The outbox, oldest first."""
    with app.app_context():
        return [vars(n) for n in reversed(list_notifications(reader()))]
