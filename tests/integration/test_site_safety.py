"""Safety across sites: an action by a person bound to sites (or a job run under one) that applies a rule of
the whole trial sees the whole trial, while what it answers stays narrowed to the person's sites."""

from __future__ import annotations

import pytest

from tests.shipments_support import (
    EXCURSION,
    STEADY,
    dispatched,
    in_quarantine,
    logger_csv,
    released_lots,
    road_start,
)
from tracker.db import CLOCK


@pytest.fixture
def clock():
    yield CLOCK
    CLOCK.reset()


def _lab_shipment(login, clock):
    """Two kits of the lab (SITE-01) shipped with the lab's dry shipper to SITE-02, by the lab's own GMP."""
    _, qa, cells, vehicle = released_lots(login)
    lab_gmp = login("gmp", sites=("SITE-01",))
    shipper = {"unit_id": "DS-01", "name": "Dry shipper", "kind": "dry_shipper", "location": "GMP lab"}
    assert lab_gmp.post("/api/v1/storage-units", json=shipper).status_code == 201
    shipped = [cells[0], vehicle[0], cells[1], vehicle[1]]
    sid = dispatched(lab_gmp, shipped, clock, shipper_unit_id="DS-01")
    return lab_gmp, qa, sid, shipped


@pytest.mark.parametrize("values", [STEADY, EXCURSION], ids=["steady", "excursion"])
def test_the_hospital_receives_a_shipment_with_the_lab_s_dry_shipper_log(login, clock, values):
    """The dry shipper is the lab's unit; the hospital's pharmacist reads its logger file at receipt (it was
    refused, 404 storage_unit_not_found, so an excursion on the road could not hold the kits)."""
    lab_gmp, qa, sid, shipped = _lab_shipment(login, clock)
    pharmacist = login("pharmacist", sites=("SITE-02",))
    body = {"container_ids": shipped, "logger_csv": logger_csv(road_start(), values)}
    received = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json=body)
    assert received.status_code == 200, received.json
    assert received.json["readings_count"] > 0
    if values is EXCURSION:
        assert sorted(received.json["quarantined"]) == sorted(shipped)
        assert received.json["issued"] == []
        assert in_quarantine(qa) == sorted(shipped)
    else:
        assert received.json["quarantined"] == []
        assert sorted(received.json["issued"]) == sorted(shipped)
    # The lab's unit stays the lab's: the hospital's pharmacist does not read it.
    assert pharmacist.get("/api/v1/storage-units/DS-01").status_code == 404
    assert "DS-01" not in {u["unit_id"] for u in pharmacist.get("/api/v1/storage-units").json["items"]}
    assert lab_gmp.get("/api/v1/storage-units/DS-01").json["readings"]


def test_the_hospital_attaches_the_lab_s_dry_shipper_log_after_the_receipt(login, clock):
    lab_gmp, qa, sid, shipped = _lab_shipment(login, clock)
    pharmacist = login("pharmacist", sites=("SITE-02",))
    received = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json={"container_ids": shipped})
    assert received.status_code == 200, received.json
    attached = pharmacist.post(
        f"/api/v1/shipments/{sid}/logger", json={"logger_csv": logger_csv(road_start(), EXCURSION)}
    )
    assert attached.status_code == 200, attached.json
    assert sorted(attached.json["quarantined"]) == sorted(shipped)
    assert pharmacist.get("/api/v1/storage-units/DS-01").status_code == 404
