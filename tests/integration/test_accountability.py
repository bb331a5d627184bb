"""Accountability through the API: after a mix of outcomes every bag is in exactly one status, the counts
reconcile with what was prepared, and QA's version carries no lot."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.integration.randomization_support import mentions_an_arm
from tests.pdf_support import pdf_text
from tests.pharmacy_support import CELL_LOT, VEHICLE_LOT, build_trial
from tests.ward_support import move, ready_bag, shift_bag, start


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path, per_arm=4)


def _bag(trial, arm, index):
    participant_id, code = trial.of_arm(arm)[index]
    return {**trial.prepare(code, arm), "participant_id": participant_id}


@pytest.fixture
def outcomes(trial, app):
    """Eight bags, each ending somewhere else."""
    infused = ready_bag(trial, "active", 0)
    assert start(trial, infused["bag_id"], infused["participant_id"]).status_code == 201
    destroyed = _bag(trial, "placebo", 0)
    move(trial, destroyed["bag_id"], "dispatch", "receive", "destroy")
    expired = _bag(trial, "active", 1)
    shift_bag(app, expired["bag_id"], dt.timedelta(hours=3))
    voided = _bag(trial, "placebo", 1)
    trial.pharmacist.post(f"/api/v1/bags/{voided['bag_id']}/void", json={"reason": "label smudged"})
    in_transit = _bag(trial, "active", 2)
    move(trial, in_transit["bag_id"], "dispatch")
    received = _bag(trial, "placebo", 2)
    move(trial, received["bag_id"], "dispatch", "receive")
    in_stock = _bag(trial, "active", 3)
    returned = _bag(trial, "placebo", 3)
    move(trial, returned["bag_id"], "dispatch", "receive", "return")
    return {
        infused["bag_id"]: "infused", destroyed["bag_id"]: "destroyed", expired["bag_id"]: "expired",
        voided["bag_id"]: "voided", in_transit["bag_id"]: "in transit", received["bag_id"]: "received",
        in_stock["bag_id"]: "in stock", returned["bag_id"]: "in stock",
    }  # fmt: skip


def test_every_bag_is_in_exactly_one_status_and_the_site_reconciles(trial, outcomes):
    report = trial.qa.get("/api/v1/reports/accountability")
    assert report.status_code == 200, report.json
    assert {row["bag_id"]: row["status"] for row in report.json["items"]} == outcomes
    (site,) = report.json["sites"]
    assert site["prepared"] == 8
    assert (site["infused"], site["destroyed"], site["expired"], site["voided"]) == (1, 1, 1, 1)
    assert (site["in_stock"], site["in_transit"], site["received"], site["open"]) == (2, 1, 1, 4)
    assert site["reconciled"] is True
    assert report.json["generated_by"] == trial.qa.username
    assert report.json["audit_head"]["seq"] > 0


def test_the_destroyed_bag_carries_its_reason_and_times(trial, outcomes):
    rows = {r["bag_id"]: r for r in trial.qa.get("/api/v1/reports/accountability").json["items"]}
    destroyed = next(r for r in rows.values() if r["status"] == "destroyed")
    assert destroyed["destroy_reason"] == "damaged in test"  # written by a nurse
    assert destroyed["destroyed_at"]
    assert destroyed["received_at"]
    assert destroyed["dispatched_at"]
    infused = next(r for r in rows.values() if r["status"] == "infused")
    assert infused["infusion_started_at"]


def test_qa_gets_no_lot_and_no_arm_the_pharmacist_gets_the_lots(trial, outcomes):
    qa = trial.qa.get("/api/v1/reports/accountability").json
    assert "lots" not in qa
    assert all("lot_number" not in row for row in qa["items"])
    assert not mentions_an_arm(qa)
    assert CELL_LOT not in str(qa)
    assert VEHICLE_LOT not in str(qa)
    pharmacist = trial.pharmacist.get("/api/v1/reports/accountability").json
    assert {lot["lot_number"]: lot["prepared"] for lot in pharmacist["lots"]} == {CELL_LOT: 4, VEHICLE_LOT: 4}
    assert all(lot["reconciled"] for lot in pharmacist["lots"])


def test_the_csv_starts_with_its_header_and_states_its_provenance_in_headers(trial, outcomes):
    response = trial.qa.get("/api/v1/reports/accountability.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {row["bag_id"]: row["status"] for row in rows} == outcomes
    assert "lot_number" not in rows[0]
    assert response.headers["X-Generated-By"] == trial.qa.username
    assert response.headers["X-Audit-Chain-Head"].split(":")[0].isdigit()
    pharmacist_rows = list(
        csv.DictReader(
            io.StringIO(trial.pharmacist.get("/api/v1/reports/accountability.csv").get_data(as_text=True))
        )
    )
    assert {row["lot_number"] for row in pharmacist_rows} == {CELL_LOT, VEHICLE_LOT}


def test_the_pdf_names_every_bag_and_its_provenance(trial, outcomes):
    response = trial.qa.get("/api/v1/reports/accountability.pdf")
    text = pdf_text(response, sep=" ")
    for bag_id in outcomes:
        assert bag_id in text
    assert trial.qa.username in text
    assert CELL_LOT not in text


def test_nurses_and_investigators_get_no_accountability_report(trial):
    assert trial.nurse.get("/api/v1/reports/accountability").status_code == 403
    assert trial.investigator.get("/api/v1/reports/accountability.csv").status_code == 403
