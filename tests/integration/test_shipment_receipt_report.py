"""A shipment's receipt report through the API and the pages: the CSV (provenance headers, one row per
shipment, container, excursion and quarantine) and the PDF (facts, chart, expected against received,
excursions, quarantine and QA's decisions, a signature block; in English and Chinese). GMP, the pharmacy and
QA read it; nurses and investigators do not."""

import csv
import io

import pytest

from tests.conftest import PASSWORD
from tests.pdf_support import flat, pdf_text
from tests.shipments_support import (
    EXCURSION,
    dispatched,
    dry_shipper,
    logger_csv,
    released_lots,
    road_start,
)


@pytest.fixture
def received(login, clock):
    """Three kits shipped with DS-01; v1 missing, c3 extra, v2 damaged; 45 minutes out of range; QA released
    what the excursion held with one decision."""
    gmp, qa, cells, vehicle = released_lots(login)
    pharmacist = login("pharmacist")
    shipped = [cells[0], vehicle[0], cells[1], vehicle[1], cells[2], vehicle[2]]
    sid = dispatched(gmp, shipped, clock, shipper_unit_id=dry_shipper(gmp), courier="=cmd|' /C calc'!A0")
    body = {
        "container_ids": [cells[0], vehicle[0], cells[1], cells[2], vehicle[2], cells[3]],
        "damaged": [{"container_id": vehicle[2], "note": "Cracked vial"}],
        "logger_csv": logger_csv(road_start(), EXCURSION),
    }
    answer = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json=body)
    assert answer.status_code == 200, answer.json
    decided = qa.post(f"/api/v1/shipments/{sid}/quarantine-decision",
                      json={"decision": "release", "reason": "Trace reviewed", "password": PASSWORD,
                            "meaning": "Fit for use"})  # fmt: skip
    assert decided.status_code == 200, decided.json
    return sid, cells, vehicle


def _rows(response):
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/csv"
    for header in ("X-Generated-At", "X-Generated-By", "X-Audit-Chain-Head"):
        assert response.headers[header]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_says_expected_against_received_the_excursion_and_qa_decisions(login, received):
    sid, cells, vehicle = received
    rows = _rows(login("qa").get(f"/api/v1/shipments/{sid}/receipt.csv"))
    by_record = {}
    for row in rows:
        by_record.setdefault(row["record"], []).append(row)
    [head] = by_record["shipment"]
    assert head["shipment_id"] == sid
    assert head["courier"] == "'=cmd|' /C calc'!A0"  # a formula stays text
    shown = (head["tracking_number"], head["shipper_unit_id"], head["status"])
    assert shown == ("TRK-1", "DS-01", "received")
    assert float(head["minutes_out_of_range"]) == 45
    assert head["dispatched_at"]
    assert head["received_at"]
    outcomes = {r["container_id"]: (r["outcome"], r["damaged"], r["note"]) for r in by_record["container"]}
    assert outcomes == {
        cells[0]: ("received", "no", ""), vehicle[0]: ("received", "no", ""),
        cells[1]: ("received", "no", ""), vehicle[1]: ("missing", "no", ""),
        cells[2]: ("received", "no", ""), vehicle[2]: ("received", "yes", "Cracked vial"),
        cells[3]: ("extra", "no", ""),
    }  # fmt: skip
    [excursion] = by_record["excursion"]
    assert (float(excursion["minutes_out_of_range"]), excursion["beyond_limit"]) == (45, "yes")
    held = {r["container_id"]: r for r in by_record["quarantine"]}
    assert set(held) == {cells[0], vehicle[0], cells[1], cells[2], vehicle[2]}
    for row in held.values():
        signed = (row["decision"], row["reason"], row["meaning"])
        assert signed == ("release", "Trace reviewed", "Fit for use")
        assert row["decided_by"]
        assert row["decided_at"]
        assert row["deviation_id"]


def test_the_pdf_prints_the_receipt_with_its_chart_and_decisions(login, received):
    sid, cells, vehicle = received
    response = login("pharmacist").get(f"/api/v1/shipments/{sid}/receipt.pdf")
    text = flat(pdf_text(response))
    for expected in (f"Receipt of shipment {sid}", "TRK-1", "DS-01", "Expected against received",
                     "Temperature in the dry shipper", "45 min over 17 readings", "Cracked vial",
                     "Quarantine and QA's decisions", "Trace reviewed", "Fit for use", "Released",
                     "6 expected, 5 received, 1 missing, 1 not on the manifest, 1 damaged",
                     "Review and signature", vehicle[1], cells[3]):  # fmt: skip
        assert expected in text, expected
    assert "Missing" in text
    assert "Not on the manifest" in text


def test_the_chinese_pdf_and_the_pages(login, browse, received):
    sid, cells, vehicle = received
    qa = browse("qa")
    qa.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    text = flat(pdf_text(qa.get(f"/shipments/{sid}/receipt.pdf")))
    assert f"运输 {sid} 的接收报告" in text
    assert "预期与实收" in text
    page = browse("pharmacist").get(f"/shipments/{sid}").data.decode()
    assert f"/shipments/{sid}/receipt.pdf" in page
    assert f"/shipments/{sid}/receipt.csv" in page
    rows = _rows(browse("gmp").get(f"/shipments/{sid}/receipt.csv"))
    assert rows[0]["shipment_id"] == sid


def test_only_gmp_the_pharmacy_and_qa_read_the_receipt(login, browse, received):
    sid, cells, vehicle = received
    for path in (f"/api/v1/shipments/{sid}/receipt.csv", f"/api/v1/shipments/{sid}/receipt.pdf"):
        for role in ("nurse", "investigator", "statistician"):
            assert login(role).get(path).status_code == 403
        assert login("qa").get(path.replace(sid, "SH22222222X")).status_code == 404
    for role in ("nurse", "investigator"):
        assert browse(role).get(f"/shipments/{sid}/receipt.pdf").status_code == 403
