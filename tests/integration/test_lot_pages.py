"""The lab's and QA's pages: a lot from registration to release through forms, with CSRF and sessions."""

import re

import pytest

from tests.conftest import PASSWORD
from tests.lots_support import PASSING, create_lot, passing_lot

RELEASE_MEANING = "Released: QC results reviewed and meet specification"


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


def _qc_row(page, test):
    """The QC form's row of one test."""
    rows = re.findall(r'<tr class="qc-row[^"]*">.*?</tr>', page, re.S)
    return next(row for row in rows if f'name="result-{test}"' in row)


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
    every_result = {f"result-{test}": str(value) for test, value in PASSING["placebo"].items()}
    response = _post(lab, "/lots/VH-2501/qc", every_result)
    assert response.status_code == 302, response.data
    assert "2 QC results recorded." in lab.get(response.headers["Location"]).data.decode()
    page = qa.get("/lots/VH-2501").data.decode()
    assert _badge("qc-pass", "check", "Pass").search(page)
    assert "may be released" in page
    signed = _post(
        qa, "/lots/VH-2501/sign", {"action": "release", "meaning": RELEASE_MEANING, "password": PASSWORD}
    )
    assert signed.status_code == 302, signed.data
    page = qa.get("/lots/VH-2501").data.decode()
    assert "status-released" in page
    assert _badge("status-released", "check", "Released").search(page)
    assert f"signed by Qa Tester ({qa_name}, qa)" in page
    assert f"Meaning: {RELEASE_MEANING}" in page
    assert "What blocks release" not in page  # decided: nothing left to block
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
    wrong = _post(
        qa, "/lots/UC-0001/sign", {"action": "release", "meaning": RELEASE_MEANING, "password": "wrong-one"}
    )
    assert wrong.status_code == 401
    assert "nothing was signed" in wrong.data.decode()
    reject = _post(qa, "/lots/UC-0001/sign", {"action": "reject", "reason": "", "password": PASSWORD})
    assert reject.status_code == 422
    assert login("qa").get("/api/v1/lots/UC-0001").json["status"] == "quarantine"


def test_a_blocked_release_names_what_blocks_it_on_the_page(browse, login):
    create_lot(login("gmp"), "UC-0001")
    qa, _ = browse("qa")
    blocked = _post(
        qa, "/lots/UC-0001/sign", {"action": "release", "meaning": RELEASE_MEANING, "password": PASSWORD}
    )
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


def test_every_qc_result_of_a_lot_is_entered_on_one_form_against_the_spec(browse, login):
    create_lot(login("gmp"), "UC-0001")
    lab, name = browse("gmp")
    form = lab.get("/lots/UC-0001/qc").data.decode()
    for test in PASSING["ucmsc"]:  # one row per test the study defines for cells
        assert f'name="result-{test}"' in form
    # The spec as data for the live verdict: endotoxin < 0.5 EU/mL, sterility negative.
    assert 'data-qc-operator="&lt;" data-qc-limit="0.5"' in _qc_row(form, "endotoxin")
    assert 'data-qc-allowed="negative"' in _qc_row(form, "sterility")
    assert "js/qc-form.js" in form
    typed = {f"result-{test}": str(value) for test, value in PASSING["ucmsc"].items()}
    typed["result-endotoxin"] = "0.9 EU/mL"  # with its unit, as read from a report; fails the spec
    typed["result-karyotype"] = ""  # not back from the lab yet: skipped
    saved = _post(lab, "/lots/UC-0001/qc", typed)
    assert saved.status_code == 302, saved.data
    assert "10 QC results recorded." in lab.get(saved.headers["Location"]).data.decode()
    lot = login("qa").get("/api/v1/lots/UC-0001").json
    verdicts = {r["test"]: r["pass"] for r in lot["qc_results"]}
    assert len(verdicts) == 10
    assert "karyotype" not in verdicts
    assert verdicts["endotoxin"] is False
    assert verdicts["sterility"] is True
    events = login("qa").get("/api/v1/audit?entity_type=lot&entity_id=UC-0001").json["events"]
    recorded = [e for e in events if e["action"] == "record_qc_result"]
    assert len(recorded) == 10  # one audit event per result
    assert {e["user"] for e in recorded} == {name}


def test_a_bad_value_on_the_qc_form_is_named_next_to_its_field_and_nothing_is_saved(browse, login):
    create_lot(login("gmp"), "UC-0001")
    lab, _ = browse("gmp")
    typed = {"result-sterility": "negative", "result-endotoxin": "lots", "result-cd73": "101"}
    refused = _post(lab, "/lots/UC-0001/qc", typed)
    assert refused.status_code == 422
    page = refused.data.decode()
    assert "nothing was recorded" in page
    endotoxin = _qc_row(page, "endotoxin")
    assert "qc-row-problem" in endotoxin
    assert "must be a number" in endotoxin
    assert 'aria-invalid="true"' in endotoxin
    assert 'value="lots"' in endotoxin  # what was typed stays, to be corrected
    assert "a percentage must be at most 100" in _qc_row(page, "cd73")
    sterility = _qc_row(page, "sterility")
    assert "qc-row-problem" not in sterility
    assert 'value="negative"' in sterility
    assert "qc-pass" in sterility  # the server's own verdict on the form sent back
    assert "qc-row-problem" not in _qc_row(page, "karyotype")
    assert login("qa").get("/api/v1/lots/UC-0001").json["qc_results"] == []
    empty = _post(lab, "/lots/UC-0001/qc", {"result-sterility": "  "})
    assert empty.status_code == 422
    assert "Enter at least one result" in empty.data.decode()


def test_a_mistyped_result_is_corrected_with_a_reason_from_the_qc_page(browse, login):
    gmp = login("gmp")
    create_lot(gmp, "VH-0001", "placebo")
    first = gmp.post("/api/v1/lots/VH-0001/qc-results", json={"test": "endotoxin", "value": 5}).json
    lab, _ = browse("gmp")
    form = lab.get("/lots/VH-0001/qc").data.decode()
    assert "Correct an earlier result" in form
    fixed = _post(
        lab,
        "/lots/VH-0001/qc",
        {"corrects": str(first["result_id"]), "test": "endotoxin", "value": "0.05", "reason": "typo: 0.05"},
    )
    assert fixed.status_code == 302, fixed.data
    results = login("qa").get("/api/v1/lots/VH-0001").json["qc_results"]
    assert [(r["value"], r["correction"]) for r in results if r["current"]] == [(0.05, True)]


def test_the_release_meaning_is_chosen_from_the_defined_meanings_not_typed(browse, login):
    passing_lot(login("gmp"), "UC-0001")
    qa, _ = browse("qa")
    form = qa.get("/lots/UC-0001/sign").data.decode()
    assert "placeholder" not in form
    assert f'type="radio" name="meaning" value="{RELEASE_MEANING}" required>' in form  # nothing pre-chosen
    unknown = _post(qa, "/lots/UC-0001/sign", {"action": "release", "meaning": "ok", "password": PASSWORD})
    assert unknown.status_code == 422
    assert "Choose the meaning of your signature" in unknown.data.decode()
    assert login("qa").get("/api/v1/lots/UC-0001").json["status"] == "quarantine"


def test_the_meanings_offered_are_the_studys_and_signed_as_chosen_in_the_readers_language(browse, login):
    passing_lot(login("gmp"), "UC-0001")
    qa, _ = browse("qa")
    second = "Released: batch record and QC results reviewed; suitable for use in this trial"
    form = qa.get("/lots/UC-0001/sign").data.decode()
    assert f'value="{second}"' in form  # the UMSIS definition's second release meaning
    assert "Rejected: a QC result is out of specification" in form
    chinese = qa.get("/lots/UC-0001/sign", headers={"Accept-Language": "zh-CN"}).data.decode()
    assert "放行：批生产记录和 QC 结果已审核，可用于本试验" in chinese
    signed = _post(qa, "/lots/UC-0001/sign", {"action": "release", "meaning": second, "password": PASSWORD})
    assert signed.status_code == 302, signed.data
    lot = login("qa").get("/api/v1/lots/UC-0001").json
    assert lot["status"] == "released"
    assert second in str(lot)  # the signature's meaning as chosen


def test_what_blocks_release_is_shown_only_while_the_lot_waits_for_its_decision(browse, login):
    create_lot(login("gmp"), "UC-0001")
    qa, _ = browse("qa")
    assert "karyotype: no result" in qa.get("/lots/UC-0001").data.decode()
    rejected = _post(
        qa,
        "/lots/UC-0001/sign",
        {"action": "reject", "reason": "no karyotype", "meaning": "Rejected: not suitable for clinical use",
         "password": PASSWORD},
    )  # fmt: skip
    assert rejected.status_code == 302, rejected.data
    page = qa.get("/lots/UC-0001").data.decode()
    assert "What blocks release" not in page
    assert "karyotype: no result" not in page


def test_results_for_a_lot_no_longer_in_quarantine_are_refused_all_together(browse, login):
    passing_lot(login("gmp"), "VH-0001", "placebo")
    login("qa").post("/api/v1/lots/VH-0001/release", json={"password": PASSWORD, "meaning": RELEASE_MEANING})
    lab, _ = browse("gmp")
    before = login("qa").get("/api/v1/lots/VH-0001").json["qc_results"]
    refused = _post(lab, "/lots/VH-0001/qc", {"result-sterility": "negative", "result-endotoxin": "0.01"})
    assert refused.status_code == 409
    assert "can only be entered in quarantine" in refused.data.decode()
    assert login("qa").get("/api/v1/lots/VH-0001").json["qc_results"] == before
