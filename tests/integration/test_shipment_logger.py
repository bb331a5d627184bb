"""A logger file attached after a receipt that had none: the receipt's excursion check over dispatch to
receipt; an excursion beyond the limit opens a deviation per container received and quarantines exactly the
whole kits still unused in the pharmacy's stock (a kit the pharmacy started is left out whole, so blinded QA
learns nothing of which material was taken); nothing uses them until QA releases or destroys them."""

import io

from tests.conftest import PASSWORD, csrf_token_in
from tests.lots_support import issue_kits
from tests.pharmacy_support import build_trial
from tests.shipments_support import (
    EXCURSION,
    STEADY,
    dispatched,
    dry_shipper,
    in_quarantine,
    logger_csv,
    released_lots,
    road_start,
)
from tests.sites_support import add_site


def _received_without_logger(login, clock):
    """Three kits received whole without a logger file: issued to the pharmacy; the pharmacy then discards
    the vehicle container of kit 1 (a kit started)."""
    gmp, qa, cells, vehicle = released_lots(login)
    pharmacist = login("pharmacist")
    shipped = [cells[0], vehicle[0], cells[1], vehicle[1], cells[2], vehicle[2]]
    sid = dispatched(gmp, shipped, clock, shipper_unit_id=dry_shipper(gmp))
    received = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json={"container_ids": shipped})
    assert received.status_code == 200, received.json
    assert sorted(received.json["issued"]) == sorted(shipped)
    discard = {"action": "discard", "location": "Pharmacy", "note": "seal broken"}
    started = pharmacist.post(f"/api/v1/containers/{vehicle[0]}/handoffs", json=discard)
    assert started.status_code == 201, started.json
    return gmp, qa, pharmacist, sid, cells, vehicle


def _attach(client, sid, values=EXCURSION):
    return client.post(
        f"/api/v1/shipments/{sid}/logger", json={"logger_csv": logger_csv(road_start(), values)}
    )


def _stock(pharmacist):
    stock = pharmacist.get("/api/v1/stock").json
    return {
        c["container_id"]: (c["status"], c["quarantined"]) for kit in stock["kits"] for c in kit["containers"]
    }


def test_an_excursion_found_later_quarantines_the_whole_unused_kits_only(login, clock, runner):
    gmp, qa, pharmacist, sid, cells, vehicle = _received_without_logger(login, clock)
    attached = _attach(pharmacist, sid)
    assert attached.status_code == 200, attached.json
    assert attached.json["minutes_out_of_range"] == 45
    assert attached.json["readings_count"] == len(EXCURSION)
    unused = sorted([cells[1], vehicle[1], cells[2], vehicle[2]])
    assert sorted(attached.json["quarantined"]) == unused
    assert in_quarantine(qa) == unused  # exactly the unused kits; kit 1 was started: left out whole
    deviations = qa.get("/api/v1/deviations?category=temperature_excursion").json["items"]
    assert len(deviations) == 6  # one per container received, held or not
    assert _stock(pharmacist) == {
        cells[0]: ("issued", False), vehicle[0]: ("discarded_in_pharmacy", False),
        cells[1]: ("issued", True), vehicle[1]: ("issued", True),
        cells[2]: ("issued", True), vehicle[2]: ("issued", True),
    }  # fmt: skip
    thaw = {"container_id": cells[1], "viable_cells_per_ml": 5e6, "viability_percent": 85, "volume_ml": 10}
    refused = pharmacist.post("/api/v1/thaws", json=thaw)
    assert refused.status_code == 409, refused.json
    assert refused.json["error"]["code"] == "container_quarantined"
    again = _attach(pharmacist, sid)
    assert again.status_code == 409
    assert again.json["error"]["code"] == "logger_attached"
    trail = qa.get(f"/api/v1/audit?entity_type=shipment&entity_id={sid}").json["events"]
    assert [e["action"] for e in trail] == ["create", "dispatch", "receive", "attach_logger"]
    # QA's one decision releases them where they are: in the pharmacy's stock, usable again.
    release = {"decision": "release", "reason": "Short, mild", "password": PASSWORD}
    decided = qa.post(f"/api/v1/shipments/{sid}/quarantine-decision", json=release)
    assert decided.status_code == 200, decided.json
    assert {c["status"] for c in decided.json["containers"]} == {"issued"}
    assert in_quarantine(qa) == []
    assert not any(held for _, held in _stock(pharmacist).values())
    assert pharmacist.post("/api/v1/thaws", json=thaw).status_code == 201
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_qa_destroys_them_in_the_pharmacy(login, clock):
    gmp, qa, pharmacist, sid, cells, vehicle = _received_without_logger(login, clock)
    assert _attach(pharmacist, sid).status_code == 200
    decided = qa.post(f"/api/v1/shipments/{sid}/quarantine-decision",
                      json={"decision": "destroy", "reason": "Too warm", "password": PASSWORD})  # fmt: skip
    assert decided.status_code == 200, decided.json
    stock = _stock(pharmacist)
    for cid in (cells[1], vehicle[1], cells[2], vehicle[2]):
        assert stock[cid] == ("discarded_in_pharmacy", False)
    assert stock[cells[0]] == ("issued", False)


def test_a_calm_file_quarantines_nothing_and_refusals_change_nothing(login, clock):
    gmp, qa, pharmacist, sid, cells, vehicle = _received_without_logger(login, clock)
    for role in ("gmp", "qa", "nurse", "investigator"):
        assert _attach(login(role), sid).status_code == 403
    bad = pharmacist.post(
        f"/api/v1/shipments/{sid}/logger", json={"logger_csv": "time,temperature\nnope,x\n"}
    )
    assert bad.status_code == 422, bad.json
    assert bad.json["error"]["code"] == "bad_logger_file"
    assert pharmacist.get(f"/api/v1/shipments/{sid}").json["readings_count"] is None
    assert _attach(pharmacist, "SH22222222X").status_code == 404
    calm = _attach(pharmacist, sid, STEADY)
    assert calm.status_code == 200, calm.json
    assert calm.json["quarantined"] == []
    assert calm.json["minutes_out_of_range"] == 0
    assert in_quarantine(qa) == []
    # Before its receipt, a shipment takes its file with the receipt.
    early = dispatched(gmp, [cells[3], vehicle[3]], clock)
    refused = _attach(pharmacist, early)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "action_out_of_order"


def test_a_receipt_with_a_logger_file_takes_no_second_one(login, clock):
    gmp, qa, cells, vehicle = released_lots(login)
    pharmacist = login("pharmacist")
    sid = dispatched(gmp, [cells[0], vehicle[0]], clock)
    body = {"container_ids": [cells[0], vehicle[0]], "logger_csv": logger_csv(road_start(), STEADY)}
    assert pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json=body).status_code == 200
    refused = _attach(pharmacist, sid)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "logger_attached"


def test_the_pharmacist_attaches_the_file_on_the_shipment_page(login, browse, clock):
    gmp, qa, pharmacist, sid, cells, vehicle = _received_without_logger(login, clock)
    url = f"/shipments/{sid}"
    pages = browse("pharmacist")
    page = pages.get(url)
    assert b'id="logger"' in page.data
    for role in ("gmp", "qa"):
        assert b'id="logger"' not in browse(role).get(url).data
    empty = pages.client.post(f"{url}/logger", data={"csrf_token": csrf_token_in(page.data)},
                              content_type="multipart/form-data")  # fmt: skip
    assert empty.status_code == 422
    content = logger_csv(road_start(), EXCURSION).replace("\n", "\r\n").encode()
    sent = pages.client.post(
        f"{url}/logger",
        data={"csrf_token": csrf_token_in(page.data), "logger_file": (io.BytesIO(content), "logger.csv")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, sent.data[:800]
    after = pages.get(url).data
    assert b'id="logger"' not in after
    assert b'id="shipment-chart"' in after
    assert in_quarantine(qa) == sorted([cells[1], vehicle[1], cells[2], vehicle[2]])
    assert f'data-quarantined="{cells[1]}"'.encode() in pages.get("/pharmacy/stock").data


def test_a_placebo_preparation_passes_a_held_vehicle_container_by(login, runner, tmp_path, clock):
    trial = build_trial(login, runner, tmp_path, kits=0)
    add_site(login, "SITE-02")
    cells, vehicle = trial.cell_containers, trial.vehicle_containers
    shipped = [cells[0], vehicle[0], cells[1], vehicle[1]]
    sid = dispatched(trial.gmp, shipped, clock, shipper_unit_id=dry_shipper(trial.gmp))
    assert (
        trial.pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json={"container_ids": shipped}).status_code
        == 200
    )
    issue_kits(trial.gmp, [cells[2]], [vehicle[2]])  # a kit issued directly, after the shipment's
    attached = _attach(trial.pharmacist, sid)
    assert sorted(attached.json["quarantined"]) == sorted(shipped)
    code = trial.of_arm("placebo")[0][1]
    bag = trial.prepare_placebo(code)
    assert bag.status_code == 201, bag.json  # the oldest vehicle containers wait for QA: the next is taken
    stock = _stock(trial.pharmacist)
    assert stock[vehicle[2]] == ("used", False)
    assert stock[vehicle[0]] == ("issued", True)
    assert stock[vehicle[1]] == ("issued", True)
