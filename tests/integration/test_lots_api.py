"""The lot API end to end: creation, QC results, signed release / rejection / recall, and bad input."""

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from tests.conftest import PASSWORD
from tests.lots_support import PASSING, create_lot, enter_results, iso, issue, lot_body, passing_lot
from tracker.checkchar import is_valid
from tracker.lots.models import Container, Lot, LotSignature, QcResult
from tracker.web.context import reader


def _count(app, model):
    with app.app_context(), reader() as work:
        return work.session.execute(select(func.count()).select_from(model)).scalar_one()


def _audit(qa, **filters):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return qa.get(f"/api/v1/audit?{query}").json["events"]


def _release(qa, lot_number, password=PASSWORD, meaning="QC reviewed, meets specification"):
    return qa.post(f"/api/v1/lots/{lot_number}/release", json={"password": password, "meaning": meaning})


# ---- creating lots -------------------------------------------------------------------------------------


def test_gmp_creates_a_lot_in_quarantine_with_check_charactered_containers(login):
    gmp, qa = login("gmp"), login("qa")
    response = gmp.post("/api/v1/lots", json=lot_body("uc-0001", container_count=5, donor_code="UCD-17"))
    assert response.status_code == 201, response.json
    lot = response.json
    assert lot["lot_number"] == "UC-0001"
    assert lot["status"] == "quarantine"
    assert lot["donor_code"] == "UCD-17"
    assert len(lot["containers"]) == 5
    ids = [c["container_id"] for c in lot["containers"]]
    assert len(set(ids)) == 5
    assert all(is_valid(cid) and cid.startswith("C") for cid in ids)
    assert {c["status"] for c in lot["containers"]} == {"in_store"}  # as the (blinded) lab sees it
    assert [c["position"] for c in lot["containers"]] == ["A1", "A2", "A3", "A4", "A5"]
    assert {b["test"] for b in lot["release_blockers"]} == set(PASSING["ucmsc"])
    assert [e["action"] for e in _audit(qa, entity_type="lot", entity_id="UC-0001")] == ["create"]
    assert len(_audit(qa, entity_type="container", entity_id=ids[0])) == 1


def test_a_lot_of_more_than_one_box_fills_numbered_boxes(login):
    lot = create_lot(login("gmp"), "L" * 40, "placebo", container_count=90)
    boxes = [(c["box"], c["position"]) for c in lot["containers"]]
    assert boxes[0] == ("L" * 40 + "-1", "A1")
    assert boxes[81] == ("L" * 40 + "-2", "A1")


def test_a_named_box_takes_its_free_positions_and_refuses_more_than_fit(login):
    gmp = login("gmp")
    storage = {"freezer": "LN2-02", "rack": "R3", "box": "SHARED-1"}
    first = create_lot(gmp, "VH-0001", "placebo", container_count=80, storage=storage)
    assert first["containers"][-1]["position"] == "I8"
    second = create_lot(gmp, "VH-0002", "placebo", container_count=1, storage=storage)
    assert second["containers"][0]["position"] == "I9"
    full = gmp.post("/api/v1/lots", json=lot_body("VH-0003", "placebo", container_count=1, storage=storage))
    assert full.status_code == 409
    assert full.json["error"]["code"] == "box_full"
    assert gmp.get("/api/v1/lots/VH-0003").status_code == 404


def test_a_placebo_lot_needs_no_cell_count(login):
    lot = create_lot(login("gmp"), "VH-0001", "placebo")
    assert lot["material"] == "placebo"
    assert lot["cells_per_container"] is None


def test_a_lot_number_used_twice_is_refused(app, login):
    gmp = login("gmp")
    create_lot(gmp, "UC-0001")
    for number in ("UC-0001", "uc-0001"):
        response = gmp.post("/api/v1/lots", json=lot_body(number, "placebo"))
        assert response.status_code == 409
        assert response.json["error"]["code"] == "lot_exists"
    assert _count(app, Lot) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"expires_at": iso(-dt.timedelta(days=4))}, "expires_at"),
        ({"manufactured_at": iso(dt.timedelta(hours=1))}, "manufactured_at"),
        ({"manufactured_at": "2025-01-01T10:00:00"}, "manufactured_at"),  # no offset
        ({"container_count": 0}, "container_count"),
        ({"container_count": -3}, "container_count"),
        ({"container_count": "five"}, "container_count"),
        ({"container_count": 2.5}, "container_count"),
        ({"volume_ml_per_container": 0}, "volume_ml_per_container"),
        ({"volume_ml_per_container": -10}, "volume_ml_per_container"),
        ({"volume_ml_per_container": "ten"}, "volume_ml_per_container"),
        ({"cells_per_container": ...}, "cells_per_container"),
        ({"cells_per_container": None}, "cells_per_container"),
        ({"cells_per_container": -1}, "cells_per_container"),
        ({"material": "saline"}, "material"),
        ({"lot_number": "no spaces allowed"}, "lot_number"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_lot_is_refused_per_field_and_nothing_is_stored(app, login, overrides, field):
    body = {k: v for k, v in {**lot_body("UC-0009"), **overrides}.items() if v is not ...}
    response = login("gmp").post("/api/v1/lots", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]
    assert _count(app, Lot) == 0
    assert _count(app, Container) == 0


@pytest.mark.parametrize("field", ["cells_per_container", "donor_code", "passage"])
def test_a_placebo_lot_refuses_cell_fields(login, field):
    value = {"cells_per_container": 1e8, "donor_code": "D1", "passage": 3}[field]
    response = login("gmp").post("/api/v1/lots", json=lot_body("VH-0002", "placebo", **{field: value}))
    assert response.status_code == 422
    assert field in response.json["error"]["details"]


def test_malformed_json_is_a_400(login):
    gmp = login("gmp")
    response = gmp.post("/api/v1/lots", data="{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"


def test_lots_list_oldest_first_and_filter_by_status(login):
    gmp, qa = login("gmp"), login("qa")
    passing_lot(gmp, "UC-0001")
    create_lot(gmp, "VH-0001", "placebo")
    assert _release(qa, "UC-0001").status_code == 200
    for reader_client in (gmp, qa, login("pharmacist")):
        items = reader_client.get("/api/v1/lots").json["items"]
        assert [i["lot_number"] for i in items] == ["UC-0001", "VH-0001"]
    released = qa.get("/api/v1/lots?status=released").json["items"]
    assert [i["lot_number"] for i in released] == ["UC-0001"]
    assert released[0]["release_blockers"][0]["problem"] == "status"
    assert qa.get("/api/v1/lots?status=lost").status_code == 422


def test_an_unknown_lot_is_a_404_and_lot_numbers_ignore_case(login):
    gmp = login("gmp")
    create_lot(gmp, "UC-0001")
    assert gmp.get("/api/v1/lots/NOPE-1").status_code == 404
    assert gmp.get("/api/v1/lots/NOPE-1").json["error"]["code"] == "lot_not_found"
    assert gmp.get("/api/v1/lots/uc-0001").json["lot_number"] == "UC-0001"


# ---- QC results ----------------------------------------------------------------------------------------


def test_a_qc_result_is_judged_against_the_study_specification(login):
    gmp = login("gmp")
    create_lot(gmp, "UC-0001")
    url = "/api/v1/lots/UC-0001/qc-results"
    response = gmp.post(url, json={"test": "endotoxin", "value": 0.9})
    assert response.status_code == 201
    assert {k: response.json[k] for k in ("test", "value", "specification", "pass")} == {
        "test": "endotoxin",
        "value": 0.9,
        "specification": "< 0.5 EU/mL",
        "pass": False,
    }
    word = gmp.post(url, json={"test": "sterility", "value": "NEGATIVE"}).json
    assert (word["value"], word["pass"]) == ("negative", True)
    assert gmp.post(url, json={"test": "viability", "value": "85 %"}).json["pass"] is True


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"test": "potency", "value": 1}, "test", "unknown_test"),
        ({"test": "endotoxin", "value": "high"}, "value", "invalid_qc_value"),
        ({"test": "endotoxin", "value": -1}, "value", "invalid_qc_value"),
        ({"test": "viability", "value": 130}, "value", "invalid_qc_value"),
        ({"test": "sterility", "value": True}, "value", "validation_failed"),
        ({"test": "sterility"}, "value", "validation_failed"),
    ],
)
def test_a_bad_qc_result_is_a_422_and_nothing_is_stored(app, login, body, field, code):
    gmp = login("gmp")
    create_lot(gmp, "UC-0001")
    response = gmp.post("/api/v1/lots/UC-0001/qc-results", json=body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == code
    assert field in response.json["error"]["details"]
    assert _count(app, QcResult) == 0


def test_a_placebo_lot_has_no_cell_tests(login):
    gmp = login("gmp")
    create_lot(gmp, "VH-0001", "placebo")
    response = gmp.post("/api/v1/lots/VH-0001/qc-results", json={"test": "viability", "value": 90})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "unknown_test"


def test_a_repeated_test_is_appended_and_release_judges_the_latest(login):
    gmp, qa = login("gmp"), login("qa")
    passing_lot(gmp, "UC-0001")
    enter_results(gmp, "UC-0001", {"endotoxin": 0.8})
    blocked = _release(qa, "UC-0001")
    assert blocked.status_code == 409
    assert blocked.json["error"]["details"]["failed"] == ["endotoxin"]
    enter_results(gmp, "UC-0001", {"endotoxin": 0.2})
    lot = gmp.get("/api/v1/lots/UC-0001").json
    endotoxin = [r for r in lot["qc_results"] if r["test"] == "endotoxin"]
    assert [(r["value"], r["current"]) for r in endotoxin] == [(0.12, False), (0.8, False), (0.2, True)]
    assert lot["release_blockers"] == []
    assert _release(qa, "UC-0001").status_code == 200


def test_a_correction_supersedes_with_a_reason_and_the_old_result_stays_visible(login):
    gmp, qa = login("gmp"), login("qa")
    create_lot(gmp, "VH-0001", "placebo")
    [wrong] = enter_results(gmp, "VH-0001", {"endotoxin": 5.0})
    url = "/api/v1/lots/VH-0001/qc-results"
    no_reason = gmp.post(url, json={"test": "endotoxin", "value": 0.05, "corrects": wrong["result_id"]})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json["error"]["details"]
    wrong_test = gmp.post(
        url, json={"test": "sterility", "value": "negative", "corrects": wrong["result_id"], "reason": "typo"}
    )
    assert wrong_test.status_code == 422
    assert (
        gmp.post(url, json={"test": "endotoxin", "value": 1, "corrects": 999, "reason": "x"}).status_code
        == 404
    )
    fixed = gmp.post(
        url,
        json={
            "test": "endotoxin",
            "value": 0.05,
            "corrects": wrong["result_id"],
            "reason": "decimal point typo",
        },
    )
    assert fixed.status_code == 201
    assert (fixed.json["supersedes"], fixed.json["correction"]) == (wrong["result_id"], True)
    again = gmp.post(
        url, json={"test": "endotoxin", "value": 0.04, "corrects": wrong["result_id"], "reason": "x"}
    )
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_superseded"
    results = gmp.get("/api/v1/lots/VH-0001").json["qc_results"]
    old, new = results
    assert (old["value"], old["current"], old["superseded_by"]) == (5.0, False, new["result_id"])
    assert (new["reason"], new["current"]) == ("decimal point typo", True)
    events = _audit(qa, entity_type="lot", entity_id="VH-0001")
    assert events[-1]["reason"] == "decimal point typo"


# ---- signatures ----------------------------------------------------------------------------------------


def test_release_is_blocked_by_missing_and_failed_tests_naming_them(app, login):
    gmp, qa = login("gmp"), login("qa")
    create_lot(gmp, "UC-0001")
    enter_results(gmp, "UC-0001", {**PASSING["ucmsc"], "cd34": 7.5})
    with app.app_context(), reader() as work:
        work.session.execute(text("DELETE FROM qc_result WHERE test = 'karyotype'"))
        work.session.commit()
    response = _release(qa, "UC-0001")
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "release_blocked"
    assert error["details"]["missing"] == ["karyotype"]
    assert error["details"]["failed"] == ["cd34"]
    assert "karyotype" in error["message"]
    assert "cd34" in error["message"]
    assert gmp.get("/api/v1/lots/UC-0001").json["status"] == "quarantine"
    assert _count(app, LotSignature) == 0


def test_qa_releases_a_lot_with_a_part_11_signature(login):
    gmp, qa = login("gmp"), login("qa")
    passing_lot(gmp, "UC-0001")
    response = _release(qa, "UC-0001", meaning="I approve release for clinical use")
    assert response.status_code == 200, response.json
    signed = response.json
    assert signed["status"] == "released"
    assert signed["signed_by"] == qa.username
    assert signed["signed_by_name"] == "Qa Tester"
    assert signed["meaning"] == "I approve release for clinical use"
    signed_at = dt.datetime.fromisoformat(signed["signed_at"])
    assert signed_at.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - signed_at) < dt.timedelta(minutes=1)
    lot = gmp.get("/api/v1/lots/UC-0001").json
    assert lot["status"] == "released"
    assert lot["usable"] is True
    assert lot["release"]["signed_by"] == qa.username
    event = _audit(qa, entity_type="lot", entity_id="UC-0001")[-1]
    assert (event["action"], event["user"], event["after"]["meaning"]) == (
        "release",
        qa.username,
        "I approve release for clinical use",
    )


def test_a_wrong_password_signs_nothing(app, login):
    gmp, qa = login("gmp"), login("qa")
    passing_lot(gmp, "UC-0001")
    response = _release(qa, "UC-0001", password="not-my-password")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "wrong_password"
    reject = qa.post("/api/v1/lots/UC-0001/reject", json={"password": "nope", "reason": "x"})
    assert reject.status_code == 401
    assert gmp.get("/api/v1/lots/UC-0001").json["status"] == "quarantine"
    assert _count(app, LotSignature) == 0


def test_release_needs_a_meaning(login):
    gmp, qa = login("gmp"), login("qa")
    passing_lot(gmp, "UC-0001")
    response = qa.post("/api/v1/lots/UC-0001/release", json={"password": PASSWORD})
    assert response.status_code == 422
    assert "meaning" in response.json["error"]["details"]


def _make_role(app, username, role):
    with app.app_context(), reader() as work:
        work.session.execute(
            text("UPDATE user_account SET role = :r WHERE username = :u"), {"r": role, "u": username}
        )
        work.session.commit()


def test_a_signer_who_entered_results_cannot_release(app, login):
    gmp, qa = login("gmp"), login("qa")
    create_lot(gmp, "UC-0001")
    enter_results(gmp, "UC-0001", PASSING["ucmsc"])
    _make_role(app, gmp.username, "qa")  # the lab analyst later moved to QA
    for action, body in (("release", {"meaning": "ok"}), ("reject", {"reason": "x"})):
        response = gmp.post(f"/api/v1/lots/UC-0001/{action}", json={"password": PASSWORD, **body})
        assert response.status_code == 403
        assert response.json["error"]["code"] == "four_eyes"
    assert gmp.get("/api/v1/lots/UC-0001").json["status"] == "quarantine"
    assert _release(qa, "UC-0001").status_code == 200


def test_releasing_twice_is_refused(app, login):
    gmp, qa = login("gmp"), login("qa")
    passing_lot(gmp, "UC-0001")
    assert _release(qa, "UC-0001").status_code == 200
    again = _release(login("qa"), "UC-0001")
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_released"
    assert _count(app, LotSignature) == 1


def test_qc_results_after_release_or_rejection_are_refused(app, login):
    gmp, qa = login("gmp"), login("qa")
    passing_lot(gmp, "UC-0001")
    create_lot(gmp, "UC-0002")
    assert _release(qa, "UC-0001").status_code == 200
    rejected = qa.post("/api/v1/lots/UC-0002/reject", json={"password": PASSWORD, "reason": "bag leak"})
    assert rejected.status_code == 200
    before = _count(app, QcResult)
    for number in ("UC-0001", "UC-0002"):
        response = gmp.post(f"/api/v1/lots/{number}/qc-results", json={"test": "endotoxin", "value": 0.1})
        assert response.status_code == 409
        assert response.json["error"]["code"] == "lot_not_in_quarantine"
    assert _count(app, QcResult) == before


def test_qa_rejects_a_lot_with_a_reason_and_it_cannot_be_released_after(login):
    gmp, qa = login("gmp"), login("qa")
    passing_lot(gmp, "UC-0001")
    no_reason = qa.post("/api/v1/lots/UC-0001/reject", json={"password": PASSWORD})
    assert no_reason.status_code == 422
    response = qa.post(
        "/api/v1/lots/UC-0001/reject", json={"password": PASSWORD, "reason": "cold chain breach"}
    )
    assert response.status_code == 200
    assert response.json["status"] == "rejected"
    assert response.json["signed_by"] == qa.username
    assert response.json["reason"] == "cold chain breach"
    release = _release(qa, "UC-0001")
    assert release.status_code == 409
    assert release.json["error"]["code"] == "lot_not_in_quarantine"
    event = _audit(qa, entity_type="lot", entity_id="UC-0001")[-1]
    assert (event["action"], event["reason"]) == ("reject", "cold chain breach")


def test_qa_recalls_a_released_lot_and_its_containers_can_no_longer_be_issued(login):
    gmp, qa = login("gmp"), login("qa")
    lot = passing_lot(gmp, "UC-0001")
    early = qa.post("/api/v1/lots/UC-0001/recall", json={"password": PASSWORD, "reason": "donor lookback"})
    assert early.status_code == 409
    assert early.json["error"]["code"] == "lot_not_released"
    assert _release(qa, "UC-0001").status_code == 200
    response = qa.post("/api/v1/lots/UC-0001/recall", json={"password": PASSWORD, "reason": "donor lookback"})
    assert response.status_code == 200
    assert response.json["status"] == "recalled"
    cid = lot["containers"][0]["container_id"]
    vehicle = passing_lot(gmp, "VEH-0001", "placebo")["containers"][0]["container_id"]
    assert _release(qa, "VEH-0001").status_code == 200
    refused = issue(gmp, cid, vehicle)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "lot_recalled"
    assert gmp.get("/api/v1/lots/UC-0001").json["usable"] is False


def test_signing_an_unknown_lot_is_a_404(login):
    response = _release(login("qa"), "NOPE-1")
    assert response.status_code == 404


# ---- containers ----------------------------------------------------------------------------------------


def _handoff(client, cid, **body):
    return client.post(f"/api/v1/containers/{cid}/handoffs", json={"location": "pharmacy", **body})


def test_a_discard_needs_a_note_and_ends_the_container(login):
    gmp = login("gmp")
    lot = create_lot(gmp, "UC-0001")
    cid = lot["containers"][0]["container_id"]
    assert _handoff(gmp, cid, action="discard").status_code == 422
    response = _handoff(gmp, cid, action="discard", location="LN2-01", note="cracked vial")
    assert response.status_code == 201
    assert response.json["container"]["status"] == "discarded_in_lab"  # as the (blinded) lab sees it
    assert "event_id" not in response.json  # a sequence over every custody: kept from blinded readers
    assert _handoff(gmp, cid, action="discard", note="again").status_code == 409


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"action": "thaw"}, 422),
        ({"action": "teleport"}, 422),
        ({"action": "discard", "note": "x", "at": iso(dt.timedelta(hours=2))}, 422),
        ({"action": "discard", "note": "x", "at": iso(-dt.timedelta(days=30))}, 422),
        ({"action": "discard", "note": "x", "location": ""}, 422),
    ],
)
def test_bad_handoffs_are_refused(login, body, status):
    gmp = login("gmp")
    lot = create_lot(gmp, "UC-0001")
    response = _handoff(gmp, lot["containers"][0]["container_id"], **body)
    assert response.status_code == status, response.json


def test_unknown_or_misspelt_container_ids_are_a_404(login):
    gmp = login("gmp")
    cid = create_lot(gmp, "UC-0001")["containers"][0]["container_id"]
    misspelt = cid[:-1] + ("0" if cid[-1] != "0" else "1")
    for bad in (misspelt, "C000000000", "nonsense"):
        response = _handoff(gmp, bad, action="discard", note="x")
        assert response.status_code == 404
        assert response.json["error"]["code"] == "container_not_found"
