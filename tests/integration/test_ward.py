"""The ward through the API: a bag's custody state machine, quarantine, every scan answer, the one infusion of
a bag and of a participant, and what a nurse receives being the same for both arms."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.integration.randomization_support import mentions_an_arm
from tests.pharmacy_support import build_trial, iso
from tests.ward_support import WARD, handoff, move, print_label, ready_bag, scan, shift_bag, start
from tracker.audit.models import AuditEvent
from tracker.ward.models import Infusion, Scan
from tracker.web.context import reader


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path)


def _count(app, model, *where):
    with app.app_context(), reader() as work:
        return work.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _prepared(trial, arm="active", index=0):
    """A prepared bag with its label printed, as the pharmacy hands it on."""
    participant_id, code = trial.of_arm(arm)[index]
    bag = trial.prepare(code, arm)
    print_label(trial.pharmacist, bag["bag_id"])
    return {**bag, "participant_id": participant_id}


# ---- custody state machine -----------------------------------------------------------------------------

# The handoffs that lead a bag to each status, and which actions each status allows next.
PATHS = {
    "prepared": (),
    "dispatched": ("dispatch",),
    "received": ("dispatch", "receive"),
    "returned": ("dispatch", "receive", "return"),
    "destroyed": ("destroy",),
}
ALLOWED = {
    "prepared": {"dispatch", "destroy"},
    "dispatched": {"receive", "return"},
    "received": {"return", "destroy"},
    "returned": {"dispatch", "destroy"},
    "destroyed": set(),
}


@pytest.mark.parametrize("status", list(PATHS))
@pytest.mark.parametrize("action", ["dispatch", "receive", "return", "destroy"])
def test_every_handoff_from_every_status_is_allowed_or_refused_as_the_state_machine_says(
    trial, status, action
):
    bag = _prepared(trial)
    move(trial, bag["bag_id"], *PATHS[status])
    before = trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}/custody").json["events"]
    response = handoff(trial.nurse, bag["bag_id"], action, reason="test")
    after = trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}/custody").json["events"]
    if action in ALLOWED[status]:
        assert response.status_code == 201, response.json
        assert response.json["action"] == action
        assert len(after) == len(before) + 1
    else:
        assert response.status_code == 409, response.json
        assert response.json["error"]["code"] == "action_out_of_order"
        assert after == before


def test_the_custody_list_shows_every_event_oldest_first_with_who_role_where_and_when(trial):
    bag = ready_bag(trial)
    scan(trial, bag["qr_payload"], bag["participant_id"])
    events = trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}/custody").json["events"]
    assert [e["action"] for e in events] == ["prepare", "dispatch", "receive", "scan"]
    assert [e["role"] for e in events] == ["pharmacist", "pharmacist", "nurse", "nurse"]
    assert events[2]["user"] == trial.nurse.username
    assert events[2]["location"] == WARD
    assert events[3]["result"] == "match"
    times = [dt.datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times)


def test_a_voided_or_expired_bag_can_still_be_destroyed_and_a_destruction_needs_a_reason(trial, app):
    voided = _prepared(trial, "active", 0)
    trial.pharmacist.post(f"/api/v1/bags/{voided['bag_id']}/void", json={"reason": "dropped"})
    refused = handoff(trial.pharmacist, voided["bag_id"], "destroy")
    assert refused.status_code == 422
    assert "reason" in refused.json["error"]["details"]
    assert handoff(trial.pharmacist, voided["bag_id"], "destroy", reason="voided").status_code == 201

    expired = _prepared(trial, "placebo", 0)
    shift_bag(app, expired["bag_id"], dt.timedelta(hours=3))
    assert handoff(trial.pharmacist, expired["bag_id"], "dispatch").json["error"]["code"] == "expired"
    destroyed = handoff(trial.pharmacist, expired["bag_id"], "destroy", note="past use-by")
    assert destroyed.status_code == 201
    assert destroyed.json["bag_status"] == "destroyed"


def test_a_handoff_in_the_future_or_before_the_previous_one_is_refused_and_changes_nothing(trial):
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch")
    future = handoff(trial.nurse, bag["bag_id"], "receive", at=iso(dt.timedelta(minutes=5)))
    past = handoff(trial.nurse, bag["bag_id"], "receive", at=iso(-dt.timedelta(hours=1)))
    assert (future.status_code, past.status_code) == (422, 422)
    assert trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "dispatched"


def test_bad_handoff_bodies_are_refused_with_field_messages(trial):
    bag = _prepared(trial)
    for body, field in (
        ({"action": "teleport", "location": WARD}, "action"),
        ({"action": "dispatch", "location": "  "}, "location"),
        ({"action": "dispatch"}, "location"),
        ({"action": "dispatch", "location": WARD, "temperature_c": "warm"}, "temperature_c"),
    ):
        response = trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/handoffs", json=body)
        assert response.status_code == 422, body
        assert field in response.json["error"]["details"]
    assert handoff(trial.nurse, "B2222222222L", "receive").status_code == 404


# ---- quarantine ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "reason"),
    [({"temperature_c": 9.5}, "9.5 °C is outside 2–8 °C"), ({"seal_intact": False}, "the seal is broken")],
)
def test_a_receipt_out_of_range_or_with_a_broken_seal_quarantines_the_bag_until_the_pharmacist_decides(
    trial, condition, reason
):
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch")
    received = handoff(trial.nurse, bag["bag_id"], "receive", **condition)
    assert received.status_code == 201
    assert received.json["quarantined"] is True
    assert received.json["quarantine_reasons"] == [reason]
    assert scan(trial, bag["qr_payload"], bag["participant_id"]).json["error"]["code"] == "quarantined"
    assert start(trial, bag["bag_id"], bag["participant_id"]).json["error"]["code"] == "quarantined"

    nurse_decides = trial.nurse.post(
        f"/api/v1/bags/{bag['bag_id']}/quarantine-decision", json={"decision": "release", "reason": "ok"}
    )
    assert nurse_decides.status_code == 403
    released = trial.pharmacist.post(
        f"/api/v1/bags/{bag['bag_id']}/quarantine-decision",
        json={"decision": "release", "reason": "logger shows 7 °C throughout"},
    )
    assert released.status_code == 200
    assert released.json["quarantined"] is False
    assert scan(trial, bag["qr_payload"], bag["participant_id"]).json["match"] is True


def test_a_temperature_within_range_does_not_quarantine(trial):
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch")
    received = handoff(trial.nurse, bag["bag_id"], "receive", temperature_c=2, seal_intact=True)
    assert received.json["quarantined"] is False
    assert received.json["temperature_c"] == 2
    assert received.json["seal_intact"] is True


def test_a_quarantined_bag_the_pharmacist_destroys_is_destroyed_and_never_matches(trial):
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch")
    handoff(trial.nurse, bag["bag_id"], "receive", temperature_c=25)
    decided = trial.pharmacist.post(
        f"/api/v1/bags/{bag['bag_id']}/quarantine-decision",
        json={"decision": "destroy", "reason": "too warm"},
    )
    assert decided.status_code == 200
    assert decided.json["status"] == "destroyed"
    assert scan(trial, bag["qr_payload"], bag["participant_id"]).json["error"]["code"] == "destroyed"
    again = trial.pharmacist.post(
        f"/api/v1/bags/{bag['bag_id']}/quarantine-decision", json={"decision": "release", "reason": "x"}
    )
    assert again.status_code == 409
    assert again.json["error"]["code"] == "not_quarantined"


def test_a_quarantined_bag_cannot_be_dispatched(trial):
    bag = _prepared(trial)
    move(trial, bag["bag_id"], "dispatch", "receive")
    handoff(trial.nurse, bag["bag_id"], "return", seal_intact=False)
    refused = handoff(trial.pharmacist, bag["bag_id"], "dispatch")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "quarantined"


# ---- scans ---------------------------------------------------------------------------------------------


def test_a_match_answers_the_bag_participant_code_and_use_by(trial):
    bag = ready_bag(trial)
    response = scan(trial, bag["qr_payload"], bag["participant_id"])
    assert response.status_code == 200, response.json
    assert response.json["match"] is True
    assert response.json["bag_id"] == bag["bag_id"]
    assert response.json["participant_id"] == bag["participant_id"]
    assert response.json["randomization_code"] == bag["randomization_code"]
    assert response.json["expires_at"] == bag["expires_at"]


@pytest.mark.parametrize(
    "typed", ["{}\r\n", "  {}  ", "{}\n", "{}\r", "lower"], ids=["crlf", "spaces", "lf", "cr", "lower-case"]
)
def test_what_a_keyboard_wedge_types_is_read(trial, typed):
    bag = ready_bag(trial)
    text = bag["qr_payload"].lower() if typed == "lower" else typed.format(bag["qr_payload"])
    assert scan(trial, text, f" {bag['participant_id'].lower()}\r\n").json["match"] is True


def _refusal(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert response.json["match"] is False
    assert response.json["error"]["message"]


def test_each_refusal_reason_of_a_scan(trial, app):
    # not_received: prepared and dispatched but not received
    bag = _prepared(trial, "active", 0)
    _refusal(scan(trial, bag["qr_payload"], bag["participant_id"]), 409, "not_received")
    move(trial, bag["bag_id"], "dispatch")
    _refusal(scan(trial, bag["qr_payload"], bag["participant_id"]), 409, "not_received")
    move(trial, bag["bag_id"], "receive")
    # wrong_participant: another enrolled participant's wristband
    other = trial.of_arm("placebo")[0][0]
    _refusal(scan(trial, bag["qr_payload"], other), 409, "wrong_participant")
    # expired comes before quarantined and not_received
    handoff(trial.nurse, bag["bag_id"], "return", seal_intact=False)
    _refusal(scan(trial, bag["qr_payload"], bag["participant_id"]), 409, "quarantined")
    shift_bag(app, bag["bag_id"], dt.timedelta(hours=3))
    _refusal(scan(trial, bag["qr_payload"], bag["participant_id"]), 409, "expired")
    # voided comes before expired
    trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/void", json={"reason": "expired"})
    _refusal(scan(trial, bag["qr_payload"], bag["participant_id"]), 409, "voided")


def test_already_infused_comes_first_for_the_bag_and_for_the_participant(trial):
    bag = ready_bag(trial)
    assert start(trial, bag["bag_id"], bag["participant_id"]).status_code == 201
    _refusal(scan(trial, bag["qr_payload"], bag["participant_id"]), 409, "already_infused")
    other = ready_bag(trial, "placebo")
    # A bag for someone else, scanned against the infused participant's wristband.
    _refusal(scan(trial, other["qr_payload"], bag["participant_id"]), 409, "already_infused")


def test_unreadable_forged_and_unknown_scans_are_refused_and_recorded(trial, app):
    bag = ready_bag(trial)
    payload = bag["qr_payload"]
    forged = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    scans_before = _count(app, Scan)
    _refusal(scan(trial, "", bag["participant_id"]), 422, "unreadable_payload")
    _refusal(scan(trial, "hello world", bag["participant_id"]), 422, "unreadable_payload")
    _refusal(scan(trial, payload[:-2], bag["participant_id"]), 422, "unreadable_payload")
    _refusal(scan(trial, forged, bag["participant_id"]), 422, "bad_signature")
    _refusal(scan(trial, payload, "P-NEVER"), 404, "unknown_participant")
    assert _count(app, Scan) == scans_before + 5
    assert _count(app, AuditEvent, AuditEvent.entity_type == "scan") == scans_before + 5
    with app.app_context(), reader() as work:
        last = work.session.execute(select(Scan).order_by(Scan.id.desc()).limit(1)).scalar_one()
        assert (last.result, last.username, last.role) == (
            "unknown_participant",
            trial.nurse.username,
            "nurse",
        )


def test_a_well_signed_label_of_no_bag_is_404(trial, app):
    from tracker.pharmacy.bag_ids import new_bag_id
    from tracker.pharmacy.payload import make_payload

    payload = make_payload(new_bag_id(), app.config["QR_SIGNING_KEY"])
    _refusal(scan(trial, payload, "P-001"), 404, "unknown_bag")


def test_a_scan_body_without_its_fields_is_422_and_only_nurses_scan(trial):
    bag = ready_bag(trial)
    assert trial.nurse.post("/api/v1/scans", json={"qr_payload": bag["qr_payload"]}).status_code == 422
    response = trial.pharmacist.post(
        "/api/v1/scans", json={"qr_payload": bag["qr_payload"], "participant_id": bag["participant_id"]}
    )
    assert response.status_code == 403


# ---- infusions -----------------------------------------------------------------------------------------


def test_an_infusion_starts_completes_and_shows_on_the_participant_and_the_custody(trial):
    bag = ready_bag(trial)
    started = start(trial, bag["bag_id"], bag["participant_id"], note="no reaction")
    assert started.status_code == 201, started.json
    infusion = started.json
    assert re.fullmatch(r"I[0-9A-Z]{10}", infusion["infusion_id"])
    assert infusion["completed_at"] is None
    assert infusion["started_by"] == trial.nurse.username
    assert trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "infused"

    done = trial.nurse.patch(
        f"/api/v1/infusions/{infusion['infusion_id']}",
        json={"completed_at": iso(), "volume_infused_ml": 99.5, "note": "well tolerated"},
    )
    assert done.status_code == 200, done.json
    assert done.json["volume_infused_ml"] == 99.5
    assert done.json["note"] == "well tolerated"
    again = trial.nurse.patch(f"/api/v1/infusions/{infusion['infusion_id']}", json={"completed_at": iso()})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "infusion_completed"

    shown = trial.investigator.get(f"/api/v1/participants/{bag['participant_id']}").json
    assert shown["infusion"]["infusion_id"] == infusion["infusion_id"]
    assert shown["bag"]["status"] == "infused"
    actions = [e["action"] for e in trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}/custody").json["events"]]
    assert actions == ["prepare", "dispatch", "receive", "infusion_start", "infusion_end"]


def test_an_infusion_repeats_the_scan_checks_without_an_earlier_scan(trial):
    bag = _prepared(trial)
    refused = start(trial, bag["bag_id"], bag["participant_id"])
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "not_received"
    move(trial, bag["bag_id"], "dispatch", "receive")
    wrong = start(trial, bag["bag_id"], trial.of_arm("placebo")[0][0])
    assert wrong.status_code == 409
    assert wrong.json["error"]["code"] == "wrong_participant"
    assert start(trial, "B2222222222L", bag["participant_id"]).status_code == 404
    assert start(trial, bag["bag_id"], "P-NEVER").status_code == 404


def test_a_second_infusion_of_a_bag_or_a_participant_is_409(trial, app):
    bag = ready_bag(trial)
    assert start(trial, bag["bag_id"], bag["participant_id"]).status_code == 201
    second = start(trial, bag["bag_id"], bag["participant_id"])
    assert second.status_code == 409
    assert second.json["error"]["code"] == "already_infused"
    assert _count(app, Infusion) == 1


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"started_at": "future"}, "started_at"),
        ({"started_at": "before_receipt"}, "started_at"),
        ({"completed_at": "before_start"}, "completed_at"),
    ],
)
def test_impossible_infusion_times_are_refused_and_change_nothing(trial, app, times, field):
    bag = ready_bag(trial)
    values = {
        "future": iso(dt.timedelta(minutes=5)),
        "before_receipt": iso(-dt.timedelta(hours=1)),
        "before_start": iso(-dt.timedelta(seconds=30)),
    }
    body = {key: values[value] for key, value in times.items()}
    response = start(trial, bag["bag_id"], bag["participant_id"], **body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]
    assert _count(app, Infusion) == 0
    assert trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "received"


def test_an_infused_volume_above_the_bag_is_refused(trial):
    bag = ready_bag(trial)
    response = start(trial, bag["bag_id"], bag["participant_id"], volume_infused_ml=150)
    assert response.status_code == 422
    assert "volume_infused_ml" in response.json["error"]["details"]


def test_64_simultaneous_starts_of_one_bag_give_exactly_one_infusion(trial, app):
    from tests.integration.test_concurrency import THREADS, run_together

    bag = ready_bag(trial)
    token = trial.nurse.token

    def start_once(_n):
        response = app.test_client().post(
            "/api/v1/infusions",
            json={"bag_id": bag["bag_id"], "participant_id": bag["participant_id"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        return response.status_code, response.json

    results = run_together(THREADS, start_once)
    statuses = sorted(r[0] for r in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert all(r[1]["error"]["code"] == "already_infused" for r in results if r[0] == 409)
    assert _count(app, Infusion) == 1
    assert _count(app, AuditEvent, AuditEvent.entity_type == "infusion") == 1


# ---- blinding ------------------------------------------------------------------------------------------

_RANDOM = re.compile(r"\b(B[0-9A-Z]{11}|S[0-9A-Z]{12}|I[0-9A-Z]{10}|CT1[0-9A-Z]{28}|R[0-9A-Z]{6}|P-\d{3})\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT[0-9:.]+\+00:00")


def _shape(value):
    return _TIME.sub("<time>", _RANDOM.sub("<id>", repr(value)))


def _nurse_view_of_a_whole_ward_day(trial, arm):
    bag = ready_bag(trial, arm)
    bag_id, pid = bag["bag_id"], bag["participant_id"]
    answers = [
        trial.nurse.get(f"/api/v1/bags/{bag_id}").json,
        scan(trial, bag["qr_payload"], pid).json,
        scan(trial, bag["qr_payload"], "P-NEVER").json,
        start(trial, bag_id, pid).json,
    ]
    answers.append(
        trial.nurse.patch(
            f"/api/v1/infusions/{answers[-1]['infusion_id']}", json={"completed_at": iso()}
        ).json
    )
    answers.append(trial.nurse.get(f"/api/v1/participants/{pid}").json)
    answers.append(trial.nurse.get(f"/api/v1/bags/{bag_id}/custody").json)
    return answers


def test_nothing_a_nurse_receives_differs_between_the_arms_but_ids_and_times(trial):
    active = _nurse_view_of_a_whole_ward_day(trial, "active")
    placebo = _nurse_view_of_a_whole_ward_day(trial, "placebo")
    assert [_shape(a) for a in active] == [_shape(p) for p in placebo]
    assert not mentions_an_arm(active)
    assert not mentions_an_arm(placebo)


def test_a_pharmacists_note_is_hidden_from_blinded_readers_of_the_custody(trial):
    bag = _prepared(trial)
    handoff(trial.pharmacist, bag["bag_id"], "dispatch", note="cells look fine")
    nurse_view = trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}/custody").json["events"]
    qa_view = trial.qa.get(f"/api/v1/bags/{bag['bag_id']}/custody").json["events"]
    pharmacist_view = trial.pharmacist.get(f"/api/v1/bags/{bag['bag_id']}/custody").json["events"]
    assert nurse_view[1]["note"] is None
    assert qa_view[1]["note"] is None
    assert pharmacist_view[1]["note"] == "cells look fine"


# ---- two-person bedside check (a study setting) -------------------------------------------------------


@pytest.fixture
def two_person(trial, runner):
    result = runner.invoke(args=["study", "load", "umsis-two-person"])
    assert result.exit_code == 0, result.output
    return trial


def test_a_two_person_study_needs_a_second_nurse_to_start(two_person, login, make_user, app):
    trial = two_person
    bag = ready_bag(trial)
    alone = start(trial, bag["bag_id"], bag["participant_id"])
    assert alone.status_code == 422
    assert alone.json["error"]["code"] == "cosignature_required"
    second = make_user("nurse", full_name="Li Na")
    signed = start(
        trial, bag["bag_id"], bag["participant_id"], cosigner_username=second, cosigner_password=PASSWORD
    )
    assert signed.status_code == 201, signed.json
    cosignature = signed.json["cosignature"]
    assert cosignature["user"] == second
    assert cosignature["name"] == "Li Na"
    assert cosignature["meaning"]
    with app.app_context(), reader() as work:
        event = work.session.execute(
            select(AuditEvent).where(AuditEvent.entity_type == "infusion", AuditEvent.action == "start")
        ).scalar_one()
        assert event.after["cosignature"]["user"] == second


@pytest.mark.parametrize("case", ["same_nurse", "wrong_password", "pharmacist", "investigator"])
def test_a_co_signature_is_refused_from_the_same_nurse_a_wrong_password_or_another_role(
    two_person, make_user, app, case
):
    trial = two_person
    bag = ready_bag(trial)
    cosigner = {
        "same_nurse": trial.nurse.username,
        "wrong_password": make_user("nurse"),
        "pharmacist": make_user("pharmacist"),
        "investigator": make_user("investigator"),
    }[case]
    password = "Wrong-Passw0rd!" if case == "wrong_password" else PASSWORD
    response = start(
        trial, bag["bag_id"], bag["participant_id"], cosigner_username=cosigner, cosigner_password=password
    )
    assert response.status_code == {"same_nurse": 403, "wrong_password": 401}.get(case, 403), response.json
    assert _count(app, Infusion) == 0
