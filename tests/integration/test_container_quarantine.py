"""A temperature excursion beyond the study's limit puts in quarantine exactly the containers of the lab's
store that were in the unit during it; nothing issues, moves or discards them; QA releases or destroys each
with a signature; the audit trail still verifies."""

import datetime as dt

from tests.conftest import PASSWORD, csrf_token_in
from tests.lots_support import issue, passing_lot
from tracker.db import CLOCK

CELL_LOT, VEHICLE_LOT = "UC-Q001", "PL-Q001"


def _unit(client, unit_id):
    body = {"unit_id": unit_id, "name": "Freezer", "kind": "ln2_freezer", "location": "GMP lab"}
    assert client.post("/api/v1/storage-units", json=body).status_code == 201


def _move(client, container_id, unit_id, slot):
    body = {"container_id": container_id, "rack": "R1", "box": "B1", "position": slot}
    return client.post(f"/api/v1/storage-units/{unit_id}/moves", json=body)


def _readings(start, values, step_minutes=5):
    return [
        {"at": (start + dt.timedelta(minutes=step_minutes * i)).isoformat(), "temperature_c": v}
        for i, v in enumerate(values)
    ]


def _excursion(login, clock):
    """Two released lots of four containers in LN2-01; before the excursion c0 leaves for LN2-02 and v0 goes
    there too; after it (before its readings arrive) v0 comes back and the kit (c3, v3) is issued. The
    readings then show 45 minutes above −150 °C in LN2-01."""
    gmp, qa = login("gmp"), login("qa")
    _unit(gmp, "LN2-01")
    _unit(gmp, "LN2-02")
    cells = [c["container_id"] for c in passing_lot(gmp, CELL_LOT, "ucmsc")["containers"]]
    vehicle = [c["container_id"] for c in passing_lot(gmp, VEHICLE_LOT, "placebo")["containers"]]
    for lot in (CELL_LOT, VEHICLE_LOT):
        signed = qa.post(f"/api/v1/lots/{lot}/release", json={"password": PASSWORD, "meaning": "QA release"})
        assert signed.status_code == 200, signed.json
    assert _move(gmp, cells[0], "LN2-02", "A1").status_code == 201
    assert _move(gmp, vehicle[0], "LN2-02", "A2").status_code == 201
    clock.advance(dt.timedelta(hours=3))
    start = CLOCK.now() - dt.timedelta(hours=2)
    assert _move(gmp, vehicle[0], "LN2-01", "Z9").status_code == 201
    assert issue(gmp, cells[3], vehicle[3]).status_code == 201
    values = [-190] * 4 + [-120] * 9 + [-190] * 4  # 45 minutes out of range, beyond the limit
    posted = gmp.post("/api/v1/storage-units/LN2-01/readings", json={"readings": _readings(start, values)})
    assert posted.status_code == 201, posted.json
    return gmp, qa, cells, vehicle


def test_an_excursion_quarantines_exactly_the_containers_in_store_that_were_in_the_unit(login, clock):
    gmp, qa, cells, vehicle = _excursion(login, clock)
    held = qa.get("/api/v1/containers/quarantined")
    assert held.status_code == 200, held.json
    items = held.json["items"]
    # c0 left before, v0 came in after, the kit (c3, v3) is in the pharmacy: none of them is held.
    assert sorted(i["container_id"] for i in items) == sorted([cells[1], cells[2], vehicle[1], vehicle[2]])
    deviations = {
        d["container_id"]: d["deviation_id"]
        for d in qa.get("/api/v1/deviations?category=temperature_excursion").json["items"]
    }
    # The issued kit was in the unit during the excursion: its deviation opens, but the pharmacy holds it and
    # what became of it there is not for blinded QA, so it is not quarantined here.
    assert {cells[3], vehicle[3]} <= set(deviations)
    assert cells[0] not in deviations
    for item in items:
        assert item["unit_id"] == "LN2-01"
        assert item["deviation_id"] == deviations[item["container_id"]]
        assert item["waiting_hours"] == 0
        assert item["decision"] is None
    custody = qa.get(f"/api/v1/containers/{cells[1]}/custody").json["events"]
    assert custody[-1]["action"] == "quarantine"
    audit = qa.get(f"/api/v1/audit?entity_type=container&entity_id={cells[1]}").json["events"]
    assert audit[-1]["action"] == "quarantine"
    unit = qa.get("/api/v1/storage-units/LN2-01").json
    contents = {c["container_id"]: c["quarantined"] for c in unit["contents"]}
    assert contents[cells[1]] is True
    assert contents[vehicle[0]] is False
    clock.advance(dt.timedelta(hours=30))
    gmp, qa = login("gmp"), login("qa")  # the earlier tokens have expired
    waited = qa.get("/api/v1/containers/quarantined").json["items"]
    assert {i["waiting_hours"] for i in waited} == {30.0}
    # The same readings posted again quarantine nothing twice.
    again = gmp.post(
        "/api/v1/storage-units/LN2-01/readings",
        json={"readings": _readings(CLOCK.now() - dt.timedelta(hours=1), [-190, -190])},
    )
    assert again.status_code == 201
    assert len(qa.get("/api/v1/containers/quarantined").json["items"]) == 4


def test_a_quarantined_container_is_refused_at_issue_move_discard_and_thaw(login, clock):
    gmp, _qa, cells, vehicle = _excursion(login, clock)
    refused = issue(gmp, cells[1], vehicle[0])
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "container_quarantined"
    assert cells[1] in refused.json["error"]["message"]
    assert "LN2-01" in refused.json["error"]["message"]
    moved = _move(gmp, cells[2], "LN2-02", "C3")
    assert moved.status_code == 409
    assert moved.json["error"]["code"] == "container_quarantined"
    assert "excursion" in moved.json["error"]["message"]
    discard = gmp.post(
        f"/api/v1/containers/{cells[2]}/handoffs",
        json={"action": "discard", "location": "GMP lab", "note": "thawed by mistake"},
    )
    assert discard.status_code == 409
    assert discard.json["error"]["code"] == "container_quarantined"
    thaw = login("pharmacist").post(
        "/api/v1/thaws",
        json={"container_id": cells[1], "viable_cells_per_ml": 5e6, "viability_percent": 90, "volume_ml": 10},
    )
    assert thaw.status_code == 409


def test_qa_releases_one_and_destroys_another_with_signatures(login, clock, runner):
    gmp, qa, cells, vehicle = _excursion(login, clock)
    decide = f"/api/v1/containers/{cells[1]}/quarantine"
    body = {"decision": "release", "reason": "Product stayed below −120 °C", "password": PASSWORD,
            "meaning": "Reviewed the excursion: fit for use"}  # fmt: skip
    wrong = qa.post(decide, json={**body, "password": "not the password"})
    assert wrong.status_code == 401
    for role in ("gmp", "pharmacist", "nurse", "investigator", "admin", "statistician"):
        assert login(role).post(decide, json=body).status_code == 403
    assert qa.post(decide, json={**body, "decision": "keep"}).status_code == 422
    assert qa.post(decide, json={k: v for k, v in body.items() if k != "reason"}).status_code == 422
    released = qa.post(decide, json=body)
    assert released.status_code == 200, released.json
    assert released.json["decision"] == "release"
    assert released.json["status"] == "stored"
    assert released.json["decided_by"]
    assert released.json["decided_by_name"]
    assert released.json["meaning"] == "Reviewed the excursion: fit for use"
    assert qa.post(decide, json=body).status_code == 409
    assert issue(gmp, cells[1], vehicle[0]).status_code == 201
    destroyed = qa.post(
        f"/api/v1/containers/{vehicle[2]}/quarantine",
        json={"decision": "destroy", "reason": "Warmed beyond −120 °C", "password": PASSWORD},
    )
    assert destroyed.status_code == 200, destroyed.json
    assert destroyed.json["status"] == "discarded"
    assert destroyed.json["meaning"]
    custody = qa.get(f"/api/v1/containers/{vehicle[2]}/custody").json["events"]
    assert [e["action"] for e in custody[-2:]] == ["quarantine", "discard"]
    audit = qa.get(f"/api/v1/audit?entity_type=container&entity_id={vehicle[2]}").json["events"]
    assert [e["action"] for e in audit[-2:]] == ["discard", "quarantine_destroy"]
    audit = qa.get(f"/api/v1/audit?entity_type=container&entity_id={cells[1]}").json["events"]
    assert "quarantine_release" in [e["action"] for e in audit]
    left = sorted(i["container_id"] for i in qa.get("/api/v1/containers/quarantined").json["items"])
    assert left == sorted([cells[2], vehicle[1]])
    assert qa.post("/api/v1/containers/C-NOPE/quarantine", json=body).status_code == 404
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output


def test_the_storage_page_lists_the_quarantine_and_takes_qa_s_decision(login, clock, browse):
    _gmp, _qa, cells, _vehicle = _excursion(login, clock)
    qa = browse("qa")
    page = qa.get("/storage")
    text = page.data.decode()
    assert 'id="quarantined"' in text
    assert cells[1] in text
    assert "quarantine-decision" in text
    assert "quarantine-decision" not in browse("gmp").get("/storage").data.decode()
    chinese = qa.get("/storage", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).data.decode()
    assert "隔离中的容器" in chinese
    assert "0.0 小时" in chinese
    token = csrf_token_in(page.data)
    path = f"/storage/quarantine/{cells[1]}"
    form = {"decision": "destroy", "reason": "Warmed", "password": "wrong password", "csrf_token": token}
    assert qa.client.post(path, data=form).status_code == 401
    decided = qa.client.post(path, data={**form, "password": PASSWORD})
    assert decided.status_code == 302
    assert f'data-container="{cells[1]}"' not in qa.get("/storage").data.decode()
    assert browse("nurse").get("/storage").status_code == 403
    trail = qa.get(f"/audit?entity_type=container&entity_id={cells[1]}")
    assert trail.status_code == 200
    assert "Quarantine after a temperature excursion" in trail.data.decode()
    assert "Destroy from quarantine" in trail.data.decode()
