"""The deviation log (CSV and PDF, through the API and the pages), QA's notifications of raised and overdue
deviations, and the bedside starts and recalls that raise deviations: blinded readers never get a bag's
source lot or container, in a file or a notification."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.conftest import PASSWORD
from tests.pdf_support import flat, pdf_text
from tests.pharmacy_support import CELL_LOT, build_trial
from tests.ward_support import move, ready_bag, start
from tracker.notifications.services import list_notifications
from tracker.web.context import reader

CAPA = {
    "investigation": "The courier box was left open.",
    "root_cause": "No checklist at hand-over.",
    "corrective_action": "Retrained the courier team.",
    "preventive_action": "A hand-over checklist in the SOP.",
    "capa_owner": "Head of pharmacy",
    "capa_due_at": "2030-01-31T12:00:00+00:00",
}
BLINDED_READERS = ("nurse", "investigator", "qa", "gmp")
ARM_WORDS = ("active", "placebo", "ucmsc", "uc-msc", "vehicle")


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path, per_arm=1, kits=2)


def _raise(client, **extra):
    body = {"title": "Box left open", "description": "Found open at receipt", "category": "other", **extra}
    response = client.post("/api/v1/deviations", json=body)
    assert response.status_code == 201, response.json
    return response.json["deviation_id"]


def _rows(response):
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _notes(app, kind):
    with app.app_context():
        return [n for n in list_notifications(reader()) if n.kind == kind]


def _close(qa, deviation_id):
    url = f"/api/v1/deviations/{deviation_id}"
    assert qa.post(f"{url}/transition", json={"to": "under_investigation"}).status_code == 200
    assert qa.post(f"{url}/transition", json={"to": "capa_defined", **CAPA}).status_code == 200
    closed = qa.post(f"{url}/close", json={"password": PASSWORD, "meaning": "Reviewed; CAPA effective"})
    assert closed.status_code == 200, closed.json


def _bag_with_its_container(trial):
    """A prepared active bag, its participant and the container it was drawn from."""
    ((participant_id, code),) = trial.of_arm("active")
    thaw = trial.thaw()
    prepared = trial.prepare_active(code, thaw["thaw_id"])
    assert prepared.status_code == 201, prepared.json
    return prepared.json["bag_id"], participant_id, thaw["container_id"]


def test_the_deviation_log_holds_every_deviation_with_its_closure_trigger_and_provenance(trial):
    qa = trial.qa
    by_hand = _raise(trial.nurse)
    _close(qa, by_hand)
    ((_, code),) = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    voided = trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/void", json={"reason": "leaked"})
    assert voided.status_code == 200

    response = qa.get("/api/v1/reports/deviations.csv")
    rows = _rows(response)
    assert response.headers["X-Generated-By"] == qa.username
    seq, digest = response.headers["X-Audit-Chain-Head"].split(":")
    assert int(seq) > 0
    assert len(digest) == 64
    assert [r["deviation_id"] for r in rows][0] == by_hand
    closed, automatic = rows
    assert closed["state"] == "closed"
    assert closed["source"] == "manual"
    assert closed["raised_by"] == trial.nurse.username
    assert closed["closed_by"] == qa.username
    assert closed["closure_meaning"] == "Reviewed; CAPA effective"
    assert closed["root_cause"] == CAPA["root_cause"]
    assert closed["overdue"] == "False"
    assert automatic["source"] == "automatic"
    assert automatic["category"] == "voided_bag"
    assert automatic["source_action"] == "void"
    assert (automatic["trigger_type"], automatic["trigger_id"]) == ("bag", bag["bag_id"])
    assert automatic["closed_by"] == ""
    assert "source_lot_number" not in rows[0]

    text = flat(pdf_text(qa.get("/api/v1/reports/deviations.pdf")))
    for words in ("Deviation log", by_hand, bag["bag_id"], "Reviewed; CAPA effective", "Voided bag",
                  "by hand", "automatically", "Review and signature"):  # fmt: skip
        assert words in text, words


def test_blinded_exports_of_a_bag_deviation_name_no_lot_or_container_and_the_pharmacist_sees_them(
    trial, browse
):
    bag_id, participant_id, container_id = _bag_with_its_container(trial)
    _raise(trial.pharmacist, bag_id=bag_id, lot_number=CELL_LOT, container_id=container_id,
           participant_id=participant_id, title="Bag label smudged")  # fmt: skip
    for role in BLINDED_READERS:
        client = getattr(trial, role)
        csv_text = client.get("/api/v1/reports/deviations.csv").get_data(as_text=True)
        assert bag_id in csv_text, role
        pdf_words = flat(pdf_text(client.get("/api/v1/reports/deviations.pdf")))
        assert bag_id in pdf_words, role
        for text in (csv_text, pdf_words):
            assert CELL_LOT not in text, role
            assert container_id not in text, role
            assert "source_lot_number" not in text, role
            assert "source_container_id" not in text, role
            assert not any(word in text.lower() for word in ARM_WORDS), role
    # The pages hand out the same files.
    nurse = browse("nurse")
    page_csv = nurse.get("/reports/deviations.csv")
    assert page_csv.status_code == 200
    assert bag_id in page_csv.get_data(as_text=True)
    assert CELL_LOT not in page_csv.get_data(as_text=True)

    (row,) = _rows(trial.pharmacist.get("/api/v1/reports/deviations.csv"))
    assert (row["source_lot_number"], row["source_container_id"]) == (CELL_LOT, container_id)
    pdf = flat(pdf_text(trial.pharmacist.get("/api/v1/reports/deviations.pdf")))
    assert CELL_LOT in pdf


def test_the_deviation_log_pdf_speaks_chinese(trial, browse):
    _close(trial.qa, _raise(trial.nurse))
    qa = browse("qa")
    qa.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    text = flat(pdf_text(qa.get("/reports/deviations.pdf")))
    for words in ("偏差日志", "已关闭", "审核与签名"):
        assert words in text, words
    assert "Deviation log" not in text


def test_the_reports_page_and_the_board_link_the_log_for_its_readers(browse):
    for role in ("nurse", "qa"):
        page = browse(role)
        for url in ("/reports", "/deviations"):
            html = page.get(url).get_data(as_text=True)
            assert "/reports/deviations.pdf" in html, (role, url)
            assert "/reports/deviations.csv" in html, (role, url)
    statistician = browse("statistician")
    assert "/reports/deviations.csv" not in statistician.get("/reports").get_data(as_text=True)
    assert statistician.get("/reports/deviations.csv").status_code == 403


def test_raising_a_deviation_by_hand_or_automatically_notifies_qa_without_the_arm_or_lot(trial, app):
    by_hand = _raise(trial.nurse)
    bag_id, participant_id, container_id = _bag_with_its_container(trial)
    voided = trial.pharmacist.post(f"/api/v1/bags/{bag_id}/void", json={"reason": "active bag leaked"})
    assert voided.status_code == 200
    notes = _notes(app, "deviation_raised")
    assert len(notes) == 2
    assert {n.audience for n in notes} == {"qa"}
    hand = next(n for n in notes if by_hand in n.subject)
    assert "Box left open" in hand.body
    assert "by hand" in hand.body
    auto = next(n for n in notes if by_hand not in n.subject)
    assert bag_id in auto.body
    assert "automatically" in auto.body
    for text in (auto.subject, auto.body):
        assert CELL_LOT not in text
        assert container_id not in text
        assert "leaked" not in text
        assert not any(word in text.lower() for word in ARM_WORDS)


def test_overdue_deviations_are_notified_once_each(login, app, runner, clock):
    qa = login("qa")
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)).isoformat()
    late = _raise(qa, due_at=soon)
    closed_late = _raise(qa, due_at=soon, title="Closed in time")
    _close(qa, closed_late)
    _raise(qa, title="Due in 30 days")
    nothing_yet = runner.invoke(args=["deviations", "notify-overdue"])
    assert nothing_yet.exit_code == 0, nothing_yet.output
    assert "Queued 0" in nothing_yet.output
    clock.advance(dt.timedelta(minutes=20))
    first = runner.invoke(args=["deviations", "notify-overdue"])
    assert first.exit_code == 0, first.output
    assert "Queued 1" in first.output
    assert late in first.output
    again = runner.invoke(args=["deviations", "notify-overdue"])
    assert "Queued 0" in again.output
    (note,) = _notes(app, "deviation_overdue")
    assert note.audience == "qa"
    assert late in note.subject
    assert "overdue" in note.subject
    assert "Box left open" in note.body


def test_a_refused_infusion_start_is_a_bedside_stop_and_raises_its_deviation_once(trial):
    bag = ready_bag(trial, "active", 0)
    ((other_participant, _),) = trial.of_arm("placebo")
    refused = start(trial, bag["bag_id"], other_participant)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "wrong_participant"
    assert start(trial, bag["bag_id"], other_participant).status_code == 409
    found = trial.qa.get("/api/v1/deviations?category=bedside_stop").json["items"]
    assert [(d["bag_id"], d["participant_id"], d["source_action"]) for d in found] == [
        (bag["bag_id"], other_participant, "start:wrong_participant")
    ]
    assert "source_lot_number" not in found[0]
    # The right participant's start still works.
    assert start(trial, bag["bag_id"], bag["participant_id"]).status_code == 201


def test_a_refused_start_of_a_bag_not_received_raises_a_stop_too(trial):
    ((participant_id, code),) = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    move(trial, bag["bag_id"], "dispatch")
    refused = start(trial, bag["bag_id"], participant_id)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "not_received"
    found = trial.qa.get("/api/v1/deviations?category=bedside_stop").json["items"]
    assert [(d["bag_id"], d["source_action"]) for d in found] == [(bag["bag_id"], "start:not_received")]


def test_a_lot_recall_raises_its_deviation_and_notifies_qa(trial, app):
    recalled = trial.qa.post(
        f"/api/v1/lots/{CELL_LOT}/recall", json={"password": PASSWORD, "reason": "lookback"}
    )
    assert recalled.status_code == 200, recalled.json
    (deviation,) = trial.qa.get("/api/v1/deviations?category=recall").json["items"]
    assert (deviation["lot_number"], deviation["source"], deviation["source_action"]) == (
        CELL_LOT, "automatic", "recall"
    )  # fmt: skip
    (note,) = _notes(app, "deviation_raised")
    assert deviation["deviation_id"] in note.subject
    assert CELL_LOT in note.body  # a lot on its own is no bag's source: every reader may see it
    (row,) = _rows(trial.qa.get("/api/v1/reports/deviations.csv"))
    assert (row["lot_number"], row["trigger_type"], row["trigger_id"]) == (CELL_LOT, "lot", CELL_LOT)
