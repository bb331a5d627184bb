"""The lab's and QA's pages: a lot from registration to release through forms, with CSRF and sessions."""

import re

import pytest

from tests.conftest import PASSWORD
from tests.lots_support import PASSING, create_lot, passing_lot


def _csrf(html: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()


@pytest.fixture
def browse(app, make_user):
    """browse(role) -> a signed-in page client and its username."""

    def sign_in(role):
        client = app.test_client()
        name = make_user(role)
        token = _csrf(client.get("/login").data)
        response = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        return client, name

    return sign_in


def _badge(kind, icon, word):
    """A badge drawn as the page draws it: an inline SVG icon (any tablet shows it), then the word."""
    return re.compile(rf'class="badge {kind}"><svg class="icon icon-{icon} [^>]*>.*?</svg> {word}</span>')


def _post(client, url, data):
    token = _csrf(client.get(url).data)
    return client.post(url, data={**data, "csrf_token": token})


def test_a_lot_goes_from_registration_to_release_through_the_pages(browse):
    lab, _ = browse("gmp")
    qa, qa_name = browse("qa")
    home = lab.get("/").data.decode()
    assert "/lots" in home
    assert "/lots/new" in home
    created = _post(
        lab,
        "/lots/new",
        {
            "lot_number": "vh-2501", "material": "placebo", "manufactured_at": "2025-01-10T09:30",
            "expires_at": "2027-01-10T09:30", "container_count": "3", "volume_ml_per_container": "50",
        },
    )  # fmt: skip
    assert created.status_code == 302, created.data
    assert created.headers["Location"].endswith("/lots/VH-2501")
    for test, value in PASSING["placebo"].items():
        response = _post(lab, "/lots/VH-2501/qc", {"test": test, "value": str(value)})
        assert response.status_code == 302, response.data
    page = qa.get("/lots/VH-2501").data.decode()
    assert _badge("qc-pass", "check", "Pass").search(page)
    assert "may be released" in page
    signed = _post(
        qa, "/lots/VH-2501/sign", {"action": "release", "meaning": "Approved", "password": PASSWORD}
    )
    assert signed.status_code == 302, signed.data
    page = qa.get("/lots/VH-2501").data.decode()
    assert "status-released" in page
    assert _badge("status-released", "check", "Released").search(page)
    assert f"signed by Qa Tester ({qa_name}, qa)" in page
    assert "Meaning: Approved" in page
    pdf = qa.get("/lots/VH-2501/certificate.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"


def test_the_lot_list_shows_status_badges_with_words(browse, login):
    gmp = login("gmp")
    create_lot(gmp, "UC-0001")
    create_lot(gmp, "VH-0001", "placebo")
    client, _ = browse("pharmacist")
    page = client.get("/lots").data.decode()
    assert "UC-0001" in page
    assert "VH-0001" in page
    assert page.count("status-quarantine") == 2
    assert "Quarantine" in page


def test_the_lot_page_marks_pass_fail_and_missing_in_colour_and_words(browse, login):
    gmp = login("gmp")
    create_lot(gmp, "VH-0001", "placebo")
    gmp.post("/api/v1/lots/VH-0001/qc-results", json={"test": "endotoxin", "value": 0.9})
    client, _ = browse("qa")
    page = client.get("/lots/VH-0001").data.decode()
    assert _badge("qc-fail", "cross", "Fail").search(page)
    assert 'class="badge qc-missing">— Missing' in page
    assert "endotoxin: 0.9 does not meet &lt; 0.5 EU/mL" in page
    gmp.post("/api/v1/lots/VH-0001/qc-results", json={"test": "endotoxin", "value": 0.1})
    page = client.get("/lots/VH-0001").data.decode()
    assert _badge("qc-pass", "check", "Pass").search(page)
    assert 'class="superseded"' in page


def test_a_bad_form_is_shown_again_with_its_problems_and_nothing_is_stored(browse, login):
    lab, _ = browse("gmp")
    response = _post(
        lab,
        "/lots/new",
        {
            "lot_number": "UC-9", "material": "ucmsc", "manufactured_at": "2025-01-10T09:30",
            "expires_at": "2024-01-10T09:30", "container_count": "0", "volume_ml_per_container": "ten",
        },
    )  # fmt: skip
    assert response.status_code == 422
    page = response.data.decode()
    for field in ("container_count", "volume_ml_per_container", "cells_per_container"):
        assert field in page
    assert login("gmp").get("/api/v1/lots/UC-9").status_code == 404
    create_lot(login("gmp"), "UC-0001")
    bad_value = _post(lab, "/lots/UC-0001/qc", {"test": "endotoxin", "value": "lots"})
    assert bad_value.status_code == 422
    assert "must be a number" in bad_value.data.decode()


def test_the_signing_page_reasks_the_password_and_refuses_a_wrong_one(browse, login):
    passing_lot(login("gmp"), "UC-0001")
    qa, _ = browse("qa")
    form = qa.get("/lots/UC-0001/sign").data.decode()
    assert 'type="password"' in form
    assert 'name="meaning"' in form
    wrong = _post(qa, "/lots/UC-0001/sign", {"action": "release", "meaning": "ok", "password": "wrong-one"})
    assert wrong.status_code == 401
    assert "nothing was signed" in wrong.data.decode()
    reject = _post(qa, "/lots/UC-0001/sign", {"action": "reject", "reason": "", "password": PASSWORD})
    assert reject.status_code == 422
    assert login("qa").get("/api/v1/lots/UC-0001").json["status"] == "quarantine"


def test_a_blocked_release_names_what_blocks_it_on_the_page(browse, login):
    create_lot(login("gmp"), "UC-0001")
    qa, _ = browse("qa")
    blocked = _post(qa, "/lots/UC-0001/sign", {"action": "release", "meaning": "ok", "password": PASSWORD})
    assert blocked.status_code == 409
    assert "karyotype: no result" in blocked.data.decode()


def test_the_container_map_shows_the_box_grid_and_issues_a_whole_kit(browse, login):
    gmp, qa = login("gmp"), login("qa")
    lot = passing_lot(gmp, "UC-0001", container_count=10)
    vehicle = passing_lot(gmp, "VEH-0001", "placebo", container_count=2)
    for lot_number in ("UC-0001", "VEH-0001"):
        qa.post(f"/api/v1/lots/{lot_number}/release", json={"password": PASSWORD, "meaning": "ok"})
    pharmacy, name = browse("pharmacist")
    page = pharmacy.get("/lots/UC-0001/boxes").data.decode()
    assert "box UC-0001" in page
    assert page.count('<td class="slot slot-stored"') == 10
    assert page.count('<td class="slot slot-empty"') == 81 - 10
    first = lot["containers"][0]["container_id"]
    assert f"A1: {first} stored" in page
    assert "Issue a kit to the pharmacy" in page
    token = _csrf(page.encode())
    # One container alone does not leave the store where the study issues kits.
    single = pharmacy.post(
        "/lots/UC-0001/handoff",
        data={"container_id": first, "action": "issue", "location": "Pharmacy", "csrf_token": token},
    )
    assert single.status_code == 409
    assert "only in whole kits" in single.data.decode()
    kit = [first, vehicle["containers"][0]["container_id"]]
    issued = pharmacy.post(
        "/kits/issue",
        data={"mode": "containers", "container_ids": kit, "location": "Pharmacy", "back": "UC-0001",
              "csrf_token": token},
    )  # fmt: skip
    assert issued.status_code == 200, issued.data
    assert "Issued to Pharmacy" in issued.data.decode()
    page = pharmacy.get("/lots/UC-0001/boxes").data.decode()
    assert f"A1: {first} issued" in page
    lab, _ = browse("gmp")
    assert f"A1: {first} in the pharmacy" in lab.get("/lots/UC-0001/boxes").data.decode()
    custody = qa.get(f"/api/v1/containers/{first}/custody").json["events"]
    assert [(e["action"], e["user"], e["location"]) for e in custody] == [("issue", name, "Pharmacy")]
    again = pharmacy.post(
        "/kits/issue",
        data={"mode": "containers", "container_ids": kit, "location": "Pharmacy", "csrf_token": token},
    )
    assert again.status_code == 409
    assert "is not in the GMP lab&#39;s store" in again.data.decode()


def test_pages_refuse_other_roles(browse):
    nurse, _ = browse("nurse")
    assert nurse.get("/lots").status_code == 403
    lab, _ = browse("gmp")
    assert lab.get("/lots/UNKNOWN-1").status_code == 404
    assert lab.get("/lots/UNKNOWN-1/sign").status_code == 403


def test_a_form_post_without_csrf_is_refused(browse, login):
    create_lot(login("gmp"), "UC-0001")
    lab, _ = browse("gmp")
    response = lab.post("/lots/UC-0001/qc", data={"test": "endotoxin", "value": "0.1"})
    assert response.status_code == 400
