"""Chain-of-identity PDFs, the participant record and the SDTM EX export through the API: content, provenance,
and blinded versions with no arm, lot or thaw."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.conftest import PASSWORD
from tests.integration.randomization_support import text_mentions_an_arm
from tests.pdf_support import flat, pdf_text
from tests.pharmacy_support import CELL_LOT, VEHICLE_LOT, build_trial, iso
from tests.ward_support import ready_bag, scan, start


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path)


def _infused(trial, arm, volume=99.0):
    bag = ready_bag(trial, arm)
    scan(trial, bag["qr_payload"], bag["participant_id"])
    infusion = start(trial, bag["bag_id"], bag["participant_id"]).json
    done = trial.nurse.patch(
        f"/api/v1/infusions/{infusion['infusion_id']}",
        json={"completed_at": iso(), "volume_infused_ml": volume},
    )
    assert done.status_code == 200, done.json
    return bag


_IDS = re.compile(r"\b(B[0-9A-Z]{11}|S[0-9A-Z]{12}|I[0-9A-Z]{10}|R[0-9A-Z]{6}|P-\d{3}|[0-9a-f]{16})\b")
_TIMES = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d( UTC)?(:\d\d)?|seq \d+")


def _normalised(text: str) -> str:
    return _TIMES.sub("<t>", _IDS.sub("<id>", text))


@pytest.mark.parametrize("role", ["nurse", "qa", "investigator"])
def test_the_blinded_custody_pdf_has_the_whole_chain_and_no_arm_lot_or_thaw(trial, login, role):
    active, placebo = _infused(trial, "active"), _infused(trial, "placebo")
    reader = login(role)
    texts = [
        pdf_text(reader.get(f"/api/v1/bags/{bag['bag_id']}/custody.pdf"), sep=" ")
        for bag in (active, placebo)
    ]
    for bag, text in zip((active, placebo), texts, strict=True):
        assert bag["bag_id"] in text
        words = flat(text)  # a narrow column may wrap them
        for action in ("Prepared", "Dispatched", "Received", "Bedside scan", "Infusion started",
                       "Infusion ended"):  # fmt: skip
            assert action in words
        assert reader.username in text  # provenance: who generated it
        assert CELL_LOT not in text
        assert VEHICLE_LOT not in text
        assert "thaw" not in text.lower()
        assert not text_mentions_an_arm(text)
    assert _normalised(texts[0]) == _normalised(texts[1])


def test_the_pharmacists_custody_pdf_goes_back_to_the_lot_and_the_thaw(trial):
    bag = _infused(trial, "active")
    text = pdf_text(trial.pharmacist.get(f"/api/v1/bags/{bag['bag_id']}/custody.pdf"), sep=" ")
    assert CELL_LOT in text
    assert bag["thaw_id"] in text
    assert "Release" in text  # the lot's QA signature


def test_the_participant_record_has_code_bag_scans_infusion_and_the_code_break_without_the_arm(trial):
    bag = _infused(trial, "active")
    pid = bag["participant_id"]
    broken = trial.investigator.post(
        f"/api/v1/participants/{pid}/unblind", json={"reason": "SAE: anaphylaxis", "password": PASSWORD}
    )
    assert broken.status_code == 200
    text = pdf_text(trial.qa.get(f"/api/v1/participants/{pid}/record.pdf"), sep=" ")
    for expected in (pid, bag["randomization_code"], bag["bag_id"], "match", "SAE: anaphylaxis", "99"):
        assert expected in text
    assert not text_mentions_an_arm(text)
    assert trial.qa.get("/api/v1/participants/P-404/record.pdf").status_code == 404


def _ex(client):
    response = client.get("/api/v1/exports/sdtm-ex.csv")
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("STUDYID,DOMAIN,USUBJID,EXSEQ,EXTRT,EXDOSE,EXDOSU")
    return response, list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_sdtm_ex_export_is_blinded_for_qa_and_admin_and_names_the_arm_for_the_statistician(trial, login):
    active, placebo = _infused(trial, "active", 99.0), _infused(trial, "placebo", 98.5)
    response, rows = _ex(trial.qa)
    assert response.headers["X-Generated-By"] == trial.qa.username
    assert response.headers["X-Audit-Chain-Head"]
    by_subject = {row["USUBJID"]: row for row in rows}
    assert set(by_subject) == {f"UMSIS-{active['participant_id']}", f"UMSIS-{placebo['participant_id']}"}
    for row in rows:
        assert (row["STUDYID"], row["DOMAIN"], row["EXSEQ"], row["EXDOSU"], row["EXROUTE"]) == (
            "UMSIS", "EX", "1", "mL", "INTRAVENOUS",
        )  # fmt: skip
        assert row["EXTRT"] == "UC-MSC or placebo"
        assert row["EXSTDTC"]
        assert row["EXENDTC"]
    assert by_subject[f"UMSIS-{active['participant_id']}"]["EXDOSE"] == "99.0"
    assert _ex(login("admin"))[1] == rows

    _, unmasked = _ex(login("statistician"))
    treatments = {row["USUBJID"]: row["EXTRT"] for row in unmasked}
    assert treatments == {
        f"UMSIS-{active['participant_id']}": "UC-MSC",
        f"UMSIS-{placebo['participant_id']}": "PLACEBO",
    }


def test_blinded_roles_other_than_qa_and_admin_get_no_ex_export(trial):
    assert trial.nurse.get("/api/v1/exports/sdtm-ex.csv").status_code == 403
    assert trial.pharmacist.get("/api/v1/exports/sdtm-ex.csv").status_code == 403
