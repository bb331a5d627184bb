"""Shipments of whole kits: the GMP lab plans and dispatches, the site pharmacy receives by scanning
(missing, extra, damaged); a logger file showing an excursion beyond the study's limit quarantines exactly the
kits the shipment carried, with a deviation each, and QA's decision releases or destroys them."""

import datetime as dt

from tests.conftest import PASSWORD
from tests.lots_support import issue, passing_lot
from tests.sites_support import add_site
from tracker.db import CLOCK

CELL_LOT, VEHICLE_LOT = "UC-S001", "PL-S001"


def _lots(login):
    add_site(login, "SITE-02")
    gmp, qa = login("gmp"), login("qa")
    cells = [c["container_id"] for c in passing_lot(gmp, CELL_LOT, "ucmsc")["containers"]]
    vehicle = [c["container_id"] for c in passing_lot(gmp, VEHICLE_LOT, "placebo")["containers"]]
    for lot in (CELL_LOT, VEHICLE_LOT):
        signed = qa.post(f"/api/v1/lots/{lot}/release", json={"password": PASSWORD, "meaning": "QA release"})
        assert signed.status_code == 200, signed.json
    return gmp, qa, cells, vehicle


def _plan(gmp, *ids, **extra):
    body = {"destination_site": "site-02", "courier": "ColdCourier", "tracking_number": "TRK-1",
            "container_ids": list(ids), **extra}  # fmt: skip
    return gmp.post("/api/v1/shipments", json=body)


def _logger(start, values, step_minutes=5):
    lines = ["time,temperature (°C)"]
    lines += [
        f"{(start + dt.timedelta(minutes=step_minutes * i)).isoformat()},{v}" for i, v in enumerate(values)
    ]
    return "\n".join(lines) + "\n"


def _in_quarantine(client):
    return sorted(i["container_id"] for i in client.get("/api/v1/containers/quarantined").json["items"])


def test_an_excursion_quarantines_exactly_the_kits_shipped_and_qa_decides(login, clock, runner):
    gmp, qa, cells, vehicle = _lots(login)
    pharmacist = login("pharmacist")
    gmp.post("/api/v1/storage-units", json={"unit_id": "DS-01", "name": "Dry shipper", "kind": "dry_shipper",
                                           "location": "GMP lab"})  # fmt: skip
    planned = _plan(gmp, cells[0], vehicle[0], cells[1], vehicle[1], shipper_unit_id="DS-01")
    assert planned.status_code == 201, planned.json
    shipment = planned.json
    assert shipment["status"] == "planned"
    assert shipment["from_site"]  # the site's SITE_NAME
    assert sorted({line["kit_no"] for line in shipment["manifest"]}) == [1, 2]
    sid = shipment["shipment_id"]
    dispatched = gmp.post(f"/api/v1/shipments/{sid}/dispatch")
    assert dispatched.status_code == 200, dispatched.json
    assert gmp.post(f"/api/v1/shipments/{sid}/dispatch").status_code == 409
    custody = gmp.get(f"/api/v1/containers/{cells[0]}/custody").json["events"]
    assert custody[-1]["action"] == "ship"
    clock.advance(dt.timedelta(hours=3))
    start = CLOCK.now() - dt.timedelta(hours=2)
    values = [-190] * 4 + [-120] * 9 + [-190] * 4  # 45 minutes above −150 °C, beyond the 30-minute limit
    shipped = [cells[0], vehicle[0], cells[1], vehicle[1]]
    body = {"container_ids": shipped, "logger_csv": _logger(start, values)}
    received = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json=body)
    assert received.status_code == 200, received.json
    assert received.json["status"] == "received"
    assert received.json["minutes_out_of_range"] == 45
    assert sorted(received.json["quarantined"]) == sorted([cells[0], vehicle[0], cells[1], vehicle[1]])
    assert received.json["issued"] == []
    shipper = gmp.get("/api/v1/storage-units/DS-01", query_string={"since": start.isoformat()}).json
    assert len(shipper["readings"]) == len(values)  # the file's readings kept as the shipper's history
    assert _in_quarantine(qa) == sorted([cells[0], vehicle[0], cells[1], vehicle[1]])  # exactly these
    deviations = qa.get("/api/v1/deviations?category=temperature_excursion").json["items"]
    assert len(deviations) == 4
    assert pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json=body).status_code == 409
    decide = f"/api/v1/containers/{cells[0]}/quarantine"
    released = qa.post(decide, json={"decision": "release", "reason": "Stayed below −120 °C",
                                     "password": PASSWORD, "meaning": "Reviewed: fit for use"})  # fmt: skip
    assert released.status_code == 200, released.json
    destroyed = qa.post(f"/api/v1/containers/{vehicle[0]}/quarantine",
                        json={"decision": "destroy", "reason": "Warm", "password": PASSWORD})  # fmt: skip
    assert destroyed.status_code == 200, destroyed.json
    assert destroyed.json["status"] == "discarded"
    assert _in_quarantine(qa) == sorted([cells[1], vehicle[1]])
    stock = pharmacist.get("/api/v1/stock").json
    assert stock["kits"] == []  # kit 1 lost its vehicle container: it never joins the stock
    for cid in (cells[1], vehicle[1]):
        decided = qa.post(f"/api/v1/containers/{cid}/quarantine",
                          json={"decision": "release", "reason": "Fine", "password": PASSWORD})  # fmt: skip
        assert decided.status_code == 200, decided.json
    stock = pharmacist.get("/api/v1/stock").json
    in_stock = {c["container_id"] for kit in stock["kits"] for c in kit["containers"] if c["in_stock"]}
    assert in_stock == {cells[1], vehicle[1]}  # the released whole kit joined the pharmacy's stock
    audit = qa.get(f"/api/v1/audit?entity_type=shipment&entity_id={sid}").json["events"]
    assert [e["action"] for e in audit] == ["create", "dispatch", "receive"]
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_expected_against_received_missing_extra_damaged(login, clock):
    gmp, qa, cells, vehicle = _lots(login)
    pharmacist = login("pharmacist")
    sid = _plan(gmp, cells[0], vehicle[0], cells[1], vehicle[1], cells[2], vehicle[2]).json["shipment_id"]
    assert gmp.post(f"/api/v1/shipments/{sid}/dispatch").status_code == 200
    # What left in the shipment is no longer in the lab's store: no issue, no second shipment takes it.
    taken = issue(gmp, cells[1], vehicle[1])
    assert taken.status_code == 409, taken.json
    assert taken.json["error"]["code"] == "not_in_store"
    assert _plan(gmp, cells[1], vehicle[1]).status_code == 409
    clock.advance(dt.timedelta(hours=1))
    body = {
        # vehicle[1] missing, cells[3] extra
        "container_ids": [cells[0], vehicle[0], cells[1], cells[2], vehicle[2], cells[3]],
        "damaged": [{"container_id": vehicle[2], "note": "Cracked vial"}],
    }
    received = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json=body)
    assert received.status_code == 200, received.json
    answer = received.json
    assert answer["missing"] == [vehicle[1]]
    assert answer["extra"] == [cells[3]]
    assert answer["damaged"] == [vehicle[2]]
    assert [line["note"] for line in answer["manifest"] if line["damaged"]] == ["Cracked vial"]
    assert sorted(answer["issued"]) == sorted([cells[0], vehicle[0]])  # the one whole, undamaged kit
    stock = pharmacist.get("/api/v1/stock").json
    in_stock = {c["container_id"] for kit in stock["kits"] for c in kit["containers"] if c["in_stock"]}
    assert in_stock == {cells[0], vehicle[0]}
    # GMP and QA read the shipment, lot-level: nothing of what the pharmacy does afterwards.
    before = {role: login(role).get(f"/api/v1/shipments/{sid}").json for role in ("gmp", "qa")}
    discarded = pharmacist.post(
        f"/api/v1/containers/{vehicle[0]}/handoffs",
        json={"action": "discard", "location": "Pharmacy", "note": "seam leaking"},
    )
    assert discarded.status_code == 201, discarded.json
    for role in ("gmp", "qa"):
        seen = login(role).get(f"/api/v1/shipments/{sid}").json
        assert seen == before[role]
        assert "status" not in seen["manifest"][0]
        assert seen["status"] == "received"
        custody = login(role).get(f"/api/v1/containers/{vehicle[0]}/custody").json["events"]
        assert [e["action"] for e in custody] == ["ship", "issue"]
    assert issue(gmp, cells[1], vehicle[1]).status_code == 409  # one received in a broken kit, one missing
    refused = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json={"container_ids": [], "damaged": []})
    assert refused.status_code == 409


def test_a_manifest_is_whole_kits_of_the_store(login):
    gmp, qa, cells, vehicle = _lots(login)
    incomplete = _plan(gmp, cells[0])
    assert incomplete.status_code == 422
    assert incomplete.json["error"]["code"] == "incomplete_kit"
    assert _plan(gmp, "C-NOPE", vehicle[0]).status_code == 404
    no_shipper = _plan(gmp, cells[0], vehicle[0], shipper_unit_id="NOPE-1")
    assert no_shipper.status_code == 422


def test_roles(login):
    gmp, qa, cells, vehicle = _lots(login)
    sid = _plan(gmp, cells[0], vehicle[0]).json["shipment_id"]
    for role in ("nurse", "investigator"):
        client = login(role)
        assert client.get("/api/v1/shipments").status_code == 403
        assert client.get(f"/api/v1/shipments/{sid}").status_code == 403
        assert client.post(f"/api/v1/shipments/{sid}/dispatch").status_code == 403
    assert login("pharmacist").post(f"/api/v1/shipments/{sid}/dispatch").status_code == 403
    assert qa.post(f"/api/v1/shipments/{sid}/dispatch").status_code == 403
    assert gmp.post(f"/api/v1/shipments/{sid}/receipt", json={"container_ids": []}).status_code == 403
    for role in ("gmp", "qa", "pharmacist"):
        listed = login(role).get("/api/v1/shipments")
        assert listed.status_code == 200
        assert [s["shipment_id"] for s in listed.json["items"]] == [sid]
    assert gmp.get("/api/v1/shipments/SH-NOPE").status_code == 404


def test_the_pages_plan_dispatch_and_receive_by_scanning(login, browse, clock):
    import io

    from tests.conftest import csrf_token_in

    gmp_api, qa, cells, vehicle = _lots(login)
    gmp = browse("gmp")
    assert b"/shipments" in gmp.get("/").data  # the nav entry
    scans = "\n".join([cells[0], vehicle[0], cells[1], vehicle[1]]) + "\n"
    made = gmp.submit("/shipments", {"destination_site": "site-02", "container_ids": scans},
                      form_page="/shipments/new")  # fmt: skip
    assert made.status_code == 302, made.data[:500]
    url = made.headers["Location"]
    sid = url.rsplit("/", 1)[-1]
    refused = gmp.submit("/shipments", {"destination_site": "site-02", "container_ids": cells[2]},
                         form_page="/shipments/new")  # fmt: skip
    assert refused.status_code == 422
    assert gmp.submit(f"{url}/dispatch", {}, form_page=url).status_code == 302
    clock.advance(dt.timedelta(hours=3))
    pharmacist = browse("pharmacist")
    page = pharmacist.get(url)
    assert b'id="receipt"' in page.data
    start = CLOCK.now() - dt.timedelta(hours=2)
    logger = _logger(start, [-190] * 4 + [-120] * 9 + [-190] * 4).replace("\n", "\r\n")
    wedge = f"{cells[0]}\r\n{vehicle[0]}\r\n{cells[1]}\r\n"  # a scanner's CR LF after each scan
    received = pharmacist.client.post(
        f"{url}/receipt",
        data={"csrf_token": csrf_token_in(page.data), "container_ids": wedge,
              "damaged": f"{cells[1]} Cracked vial", "logger_file": (io.BytesIO(logger.encode()), "log.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert received.status_code == 302, received.data[:800]
    shown = qa.get(f"/api/v1/shipments/{sid}").json
    assert shown["status"] == "received"
    assert shown["missing"] == [vehicle[1]]
    assert shown["damaged"] == [cells[1]]
    assert shown["minutes_out_of_range"] == 45
    assert _in_quarantine(qa) == sorted([cells[0], vehicle[0], cells[1]])
    for role in ("gmp", "qa", "pharmacist"):
        assert browse(role).get("/shipments").status_code == 200
        assert sid.encode() in browse(role).get(url).data
    for role in ("nurse", "investigator"):
        assert browse(role).get("/shipments").status_code == 403
