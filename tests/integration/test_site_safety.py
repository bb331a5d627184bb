"""Safety across sites: an action by a person bound to sites (or a job run under one) that applies a rule of
the whole trial sees the whole trial, while what it answers stays narrowed to the person's sites."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.lots_support import PASSING, create_lot, enter_results, lot_body
from tests.pharmacy_support import build_trial
from tests.shipments_support import (
    EXCURSION,
    STEADY,
    dispatched,
    in_quarantine,
    logger_csv,
    received_at,
    released_lots,
    road_start,
)
from tests.sites_support import add_site
from tests.ward_support import ready_bag
from tracker.db import CLOCK
from tracker.lots import creation
from tracker.notifications.models import Notification
from tracker.web.context import uow


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


def test_a_late_failure_recorded_at_the_lab_names_every_container_of_the_lot_wherever_it_is(
    app, login, runner
):
    """The lot's audit event and QA's message count the lot's containers at every site, not only those the
    lab's person still sees (one went to a hospital); the lab's lot page still lists the lab's only."""

    assert runner.invoke(args=["study", "load", "umsis-fresh"]).exit_code == 0
    add_site(login, "BJ-01", name="Beijing hospital")
    lab_gmp, qa = login("gmp", sites=("SITE-01",)), login("qa")
    lot = "UC-0200"
    ids = [c["container_id"] for c in create_lot(lab_gmp, lot, "ucmsc", container_count=2)["containers"]]
    enter_results(lab_gmp, lot, {t: v for t, v in PASSING["ucmsc"].items() if t != "sterility"})
    vehicle = create_lot(lab_gmp, "VEH-0200", "placebo", container_count=1)["containers"][0]["container_id"]
    enter_results(lab_gmp, "VEH-0200", PASSING["placebo"])
    for number in (lot, "VEH-0200"):
        signed = qa.post(
            f"/api/v1/lots/{number}/release", json={"password": PASSWORD, "meaning": "QA release"}
        )
        assert signed.status_code == 200, signed.json
    kit = [ids[0], vehicle]
    received_at(lab_gmp, login("pharmacist", sites=("BJ-01",)), "BJ-01", kit)

    failed = lab_gmp.post(f"/api/v1/lots/{lot}/qc-results", json={"test": "sterility", "value": "positive"})
    assert failed.status_code == 201, failed.json
    events = qa.get(f"/api/v1/audit?entity_type=lot&entity_id={lot}").json["events"]
    event = next(e for e in events if e["action"] == "late_result_failed")
    assert sorted(event["after"]["containers"]) == sorted(ids)
    with app.app_context(), uow() as work:
        bodies = (
            work.session.execute(select(Notification.body).where(Notification.kind == "late_result_failed"))
            .scalars()
            .all()
        )
    assert len(bodies) == 1
    assert "The lot's 2 containers" in bodies[0]
    # What the lab's person reads stays the lab's: the container at the hospital is not on their lot page.
    assert [c["container_id"] for c in lab_gmp.get(f"/api/v1/lots/{lot}").json["containers"]] == ids[1:]


def test_an_excursion_of_the_lab_s_freezer_reaches_the_containers_that_went_to_a_hospital_since(login, clock):
    """Readings the lab posts late show an excursion while a kit was still in the freezer: that kit is at a
    hospital now, out of the lab person's sight, yet it was exposed, so it gets its deviation as well (it
    got none). The lab's answer and reads stay the lab's: the hospital's deviations are not listed to it."""
    _, qa, cells, vehicle = released_lots(login)  # every container made in LN2-01 of the lab
    start = CLOCK.now() + dt.timedelta(minutes=5)
    lab_gmp = login("gmp", sites=("SITE-01",))
    unit = {"unit_id": "LN2-01", "name": "Main freezer", "kind": "ln2_freezer", "location": "GMP lab"}
    assert lab_gmp.post("/api/v1/storage-units", json=unit).status_code == 201
    kit = [cells[0], vehicle[0]]
    sid = dispatched(lab_gmp, kit, clock)
    pharmacist = login("pharmacist", sites=("SITE-02",))
    received = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json={"container_ids": kit})
    assert received.status_code == 200, received.json

    values = [-190] * 4 + [-120] * 9 + [-190] * 4  # 45 minutes out of range, before the kit left
    readings = [
        {"at": (start + dt.timedelta(minutes=5 * i)).isoformat(), "temperature_c": v}
        for i, v in enumerate(values)
    ]
    posted = lab_gmp.post("/api/v1/storage-units/LN2-01/readings", json={"readings": readings})
    assert posted.status_code == 201, posted.json
    every = qa.get("/api/v1/deviations?category=temperature_excursion").json["items"]
    assert sorted(d["container_id"] for d in every) == sorted(cells + vehicle)
    at_hospital = {d["deviation_id"] for d in every if d["container_id"] in kit}
    assert {d["deviation_id"] for d in pharmacist.get("/api/v1/deviations").json["items"]} == at_hospital
    # The lab's answer and its list: the lab's containers' deviations only.
    assert len(posted.json["deviations"]) == len(cells + vehicle) - 2
    assert not set(posted.json["deviations"]) & at_hospital
    assert not {d["deviation_id"] for d in lab_gmp.get("/api/v1/deviations").json["items"]} & at_hospital
    # The lab still holds its own containers in quarantine; the hospital's issued kit is not held.
    assert in_quarantine(qa) == sorted(set(cells + vehicle) - set(kit))


def test_a_container_s_second_excursion_at_the_hospital_joins_its_deviation_from_the_lab(login, clock):
    """Once per category and record across sites: a kit with an excursion deviation from the lab's freezer
    (the lab's) has another on the road; the hospital's receipt, which cannot see the lab's deviation, opens
    no second one (the unique constraint is not hit as an error) and holds the kit."""
    _, qa, cells, vehicle = released_lots(login)
    start = CLOCK.now() + dt.timedelta(minutes=5)
    lab_gmp = login("gmp", sites=("SITE-01",))
    unit = {"unit_id": "LN2-01", "name": "Main freezer", "kind": "ln2_freezer", "location": "GMP lab"}
    assert lab_gmp.post("/api/v1/storage-units", json=unit).status_code == 201
    shipper = {"unit_id": "DS-01", "name": "Dry shipper", "kind": "dry_shipper", "location": "GMP lab"}
    assert lab_gmp.post("/api/v1/storage-units", json=shipper).status_code == 201
    readings = [
        {"at": (start + dt.timedelta(minutes=5 * i)).isoformat(), "temperature_c": v}
        for i, v in enumerate(EXCURSION)
    ]
    clock.advance(dt.timedelta(hours=2))
    posted = lab_gmp.post("/api/v1/storage-units/LN2-01/readings", json={"readings": readings})
    assert posted.status_code == 201, posted.json
    kit = [cells[0], vehicle[0]]
    for decided in kit:  # QA releases the kit back into the store, so that it can travel
        body = {"decision": "release", "reason": "Reviewed", "password": PASSWORD}
        assert qa.post(f"/api/v1/containers/{decided}/quarantine", json=body).status_code == 200
    sid = dispatched(lab_gmp, kit, clock, shipper_unit_id="DS-01")
    pharmacist = login("pharmacist", sites=("SITE-02",))
    body = {"container_ids": kit, "logger_csv": logger_csv(road_start(), EXCURSION)}
    received = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json=body)
    assert received.status_code == 200, received.json
    assert sorted(received.json["quarantined"]) == sorted(kit)
    every = qa.get("/api/v1/deviations?category=temperature_excursion").json["items"]
    assert sorted(d["container_id"] for d in every) == sorted(cells + vehicle)  # one per container
    assert pharmacist.get("/api/v1/deviations").json["items"] == []  # the lab's, not the hospital's


def test_a_new_container_id_is_unused_at_every_site(login, clock, monkeypatch):
    """A container ID is the trial's: the lab's person, who no longer sees a container received at a hospital,
    draws its ID again for a new lot (forced here); the lot is made with another ID (it was refused as
    'lot exists')."""
    _, qa, cells, vehicle = released_lots(login)
    lab_gmp = login("gmp", sites=("SITE-01",))
    kit = [cells[0], vehicle[0]]
    sid = dispatched(lab_gmp, kit, clock)
    pharmacist = login("pharmacist", sites=("SITE-02",))
    assert pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json={"container_ids": kit}).status_code == 200
    assert lab_gmp.get(f"/api/v1/containers/{cells[0]}/custody").status_code == 404  # the hospital's now
    drawn = iter([cells[0]])
    made_by = creation.rules.container_id_from
    monkeypatch.setattr(creation.rules, "container_id_from", lambda body: next(drawn, None) or made_by(body))
    made = lab_gmp.post("/api/v1/lots", json=lot_body("UC-0300", "ucmsc", container_count=1))
    assert made.status_code == 201, made.json
    assert [c["container_id"] for c in made.json["containers"]] != [cells[0]]


def test_a_nurse_of_another_site_scanning_a_bag_finds_no_bag_and_learns_nothing_of_it(
    login, runner, tmp_path
):
    """The bedside scan reads with one fast Core query (never narrowed by the session): a bag or a
    participant of another site answers as unknown there, as every other route does, and says nothing of
    them (the scan's answer on a match names the participant and the randomization code)."""
    trial = build_trial(login, runner, tmp_path)  # everything at SITE-01
    bag = ready_bag(trial, "active")
    add_site(login, "SITE-02")
    elsewhere = login("nurse", sites=("SITE-02",))
    scanned = elsewhere.post(
        "/api/v1/scans", json={"qr_payload": bag["qr_payload"], "participant_id": bag["participant_id"]}
    )
    assert scanned.status_code == 404, scanned.json
    assert scanned.json["error"]["code"] == "unknown_bag"
    code = trial.participants[bag["participant_id"]][0]
    assert code not in scanned.get_data(as_text=True)
    assert bag["bag_id"] not in scanned.get_data(as_text=True)
    # A participant of another site is no participant here either, whatever bag is scanned.
    assert trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "received"
    here = login("nurse", sites=("SITE-01",))
    matched = here.post(
        "/api/v1/scans", json={"qr_payload": bag["qr_payload"], "participant_id": bag["participant_id"]}
    )
    assert matched.status_code == 200, matched.json
    assert matched.json["randomization_code"] == code
