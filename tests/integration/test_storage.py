"""Storage units through the API, the pages and the watch command: units with the study's range, container
moves as custody events, readings posted and imported (all or nothing), excursions opening deviations for
the containers that were in the unit, the silence alarm once per silence, no storage for blinded roles."""

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from tests.lots_support import create_lot
from tracker.db import CLOCK
from tracker.notifications.models import Notification
from tracker.storage.models import TemperatureReading
from tracker.web.context import reader


def _unit(client, unit_id="LN2-01", kind="ln2_freezer"):
    body = {"unit_id": unit_id, "name": "Main freezer", "kind": kind, "location": "GMP lab room 2"}
    return client.post("/api/v1/storage-units", json=body)


def _readings(start, values, step_minutes=5):
    return [
        {"at": (start + dt.timedelta(minutes=step_minutes * i)).isoformat(), "temperature_c": v}
        for i, v in enumerate(values)
    ]


def test_a_unit_takes_its_range_from_the_study_and_only_managers_create_one(login):
    gmp, qa, nurse, investigator = login("gmp"), login("qa"), login("nurse"), login("investigator")
    made = _unit(gmp)
    assert made.status_code == 201, made.json
    assert made.json["max_temperature_c"] == -150
    assert made.json["min_temperature_c"] is None
    assert made.json["status"] == "no_readings"
    fridge = _unit(login("pharmacist"), "FR-01", "fridge_2_8")
    assert (fridge.json["min_temperature_c"], fridge.json["max_temperature_c"]) == (2, 8)
    assert _unit(gmp).status_code == 409
    assert _unit(gmp, "X-1", "deep_freezer").status_code == 422
    assert _unit(qa, "Q-1").status_code == 403
    assert [u["unit_id"] for u in qa.get("/api/v1/storage-units").json["items"]] == ["FR-01", "LN2-01"]
    for blinded in (nurse, investigator):
        assert blinded.get("/api/v1/storage-units").status_code == 403
        assert blinded.get("/api/v1/storage-units/LN2-01").status_code == 403
    events = qa.get("/api/v1/audit?entity_type=storage_unit&entity_id=LN2-01").json["events"]
    assert [e["action"] for e in events] == ["create"]


def test_a_move_updates_the_container_place_and_is_a_custody_event(login):
    gmp, qa = login("gmp"), login("qa")
    _unit(gmp)
    _unit(gmp, "LN2-02")
    lot = create_lot(gmp)
    containers = [c["container_id"] for c in lot["containers"]]
    unit = qa.get("/api/v1/storage-units/LN2-01").json
    assert sorted(c["container_id"] for c in unit["contents"]) == sorted(containers)
    move = {"container_id": containers[0], "rack": "r2", "box": "b1", "position": "a1"}
    moved = gmp.post("/api/v1/storage-units/LN2-02/moves", json=move)
    assert moved.status_code == 201, moved.json
    assert (moved.json["unit_id"], moved.json["rack"], moved.json["position"]) == ("LN2-02", "R2", "A1")
    again = gmp.post("/api/v1/storage-units/LN2-02/moves", json={**move, "container_id": containers[1]})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "slot_taken"
    custody = qa.get(f"/api/v1/containers/{containers[0]}/custody").json["events"]
    assert custody[-1]["action"] == "move"
    assert custody[-1]["location"] == "LN2-02/R2/B1/A1"
    shown = gmp.get(f"/api/v1/lots/{lot['lot_number']}").json["containers"][0]
    assert (shown["freezer"], shown["rack"], shown["box"], shown["position"]) == ("LN2-02", "R2", "B1", "A1")
    assert [c["container_id"] for c in qa.get("/api/v1/storage-units/LN2-02").json["contents"]] == containers[
        :1
    ]
    assert qa.post("/api/v1/storage-units/LN2-02/moves", json=move).status_code == 403
    audit = qa.get(f"/api/v1/audit?entity_type=container&entity_id={containers[0]}").json["events"]
    assert audit[-1]["action"] == "move"


def test_an_excursion_beyond_the_limit_opens_a_deviation_per_container_that_was_in_the_unit(login, clock):
    gmp, qa = login("gmp"), login("qa")
    _unit(gmp)
    _unit(gmp, "LN2-02")
    containers = [c["container_id"] for c in create_lot(gmp)["containers"]]
    move = {"container_id": containers[0], "rack": "R1", "box": "B1", "position": "A1"}
    assert gmp.post("/api/v1/storage-units/LN2-02/moves", json=move).status_code == 201
    clock.advance(dt.timedelta(hours=3))
    start = CLOCK.now() - dt.timedelta(hours=2)
    values = [-190] * 4 + [-120] * 9 + [-190] * 4  # 45 minutes out of range
    posted = gmp.post("/api/v1/storage-units/LN2-01/readings", json={"readings": _readings(start, values)})
    assert posted.status_code == 201, posted.json
    assert posted.json["count"] == 17
    assert len(posted.json["deviations"]) == 3
    deviations = qa.get("/api/v1/deviations?category=temperature_excursion").json["items"]
    assert sorted(d["container_id"] for d in deviations) == sorted(containers[1:])
    unit = qa.get("/api/v1/storage-units/LN2-01").json
    assert unit["minutes_out_of_range"] == 45
    assert [e["beyond_limit"] for e in unit["excursions"]] == [True]
    short = gmp.post(
        "/api/v1/storage-units/LN2-02/readings",
        json={"readings": _readings(start, [-190, -120, -120, -190])},  # 10 minutes: within the limit
    )
    assert short.json["deviations"] == []
    future = _readings(CLOCK.now() + dt.timedelta(hours=1), [-190])
    assert gmp.post("/api/v1/storage-units/LN2-01/readings", json={"readings": future}).status_code == 422
    assert (
        login("nurse").post("/api/v1/storage-units/LN2-01/readings", json={"readings": []}).status_code == 403
    )


GOOD_FILE = """Logger;EL-USB-2
Serial;12345
Time;Temperature (°F)
2026-12-01 08:00:00;39,2
2026-12-01 08:05:00;41,0
2026-12-01 08:10:00+00:00;46,4
"""


def test_a_logger_file_is_imported_whole_or_not_at_all(app, login):
    gmp = login("gmp")
    _unit(gmp, "FR-01", "fridge_2_8")
    url = "/api/v1/storage-units/FR-01/logger-imports"
    bad = "Date/Time,Temp\n2026-12-01 08:00,5\nyesterday,5\n2026-12-01 08:10,warm\n"
    refused = gmp.post(url, data=bad, headers={"Content-Type": "text/csv"})
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "bad_logger_file"
    assert [line["line"] for line in refused.json["error"]["details"]["lines"]] == [3, 4]
    with app.app_context(), reader() as r:
        assert r.session.execute(select(func.count()).select_from(TemperatureReading)).scalar() == 0
    stored = gmp.post(url, data={"file": (io.BytesIO(GOOD_FILE.encode()), "log.csv")},
                      content_type="multipart/form-data")  # fmt: skip
    assert stored.status_code == 201, stored.json
    assert (stored.json["count"], stored.json["unit"]) == (3, "F")
    assert stored.json["min_c"] == pytest.approx(4.0)
    assert stored.json["max_c"] == pytest.approx(8.0)
    chosen = gmp.post(f"{url}?time_column=Time&temperature_column=Temperature%20(°F)&unit=C",
                      data=GOOD_FILE, headers={"Content-Type": "text/csv"})  # fmt: skip
    assert chosen.status_code == 201
    assert (chosen.json["count"], chosen.json["skipped"]) == (0, 3)  # the same times: nothing stored twice
    again = gmp.post(
        url, data=GOOD_FILE.replace("08:10:00", "08:15:00"), headers={"Content-Type": "text/csv"}
    )
    assert (again.json["count"], again.json["skipped"]) == (1, 2)
    with app.app_context(), reader() as r:
        assert r.session.execute(select(func.count()).select_from(TemperatureReading)).scalar() == 4


def test_the_watch_alarms_gmp_and_qa_once_per_silence(app, login, runner, clock):
    gmp = login("gmp")
    _unit(gmp)
    gmp.post("/api/v1/storage-units/LN2-01/readings", json={"readings": _readings(CLOCK.now(), [-190])})
    assert "Raised 0" in runner.invoke(args=["storage", "watch"]).output
    clock.advance(dt.timedelta(minutes=45))
    first = runner.invoke(args=["storage", "watch"])
    assert "Raised 1" in first.output
    assert "LN2-01" in first.output
    assert "Raised 0" in runner.invoke(args=["storage", "watch"]).output
    with app.app_context(), reader() as r:
        notes = r.session.execute(select(Notification).where(Notification.kind == "storage_silent")).scalars()
        assert sorted(n.audience for n in notes) == ["gmp", "qa"]
    gmp.post("/api/v1/storage-units/LN2-01/readings", json={"readings": _readings(CLOCK.now(), [-190])})
    clock.advance(dt.timedelta(minutes=45))
    assert "Raised 1" in runner.invoke(args=["storage", "watch"]).output


def test_the_pages_show_units_the_chart_and_take_a_logger_file(browse, login):
    gmp = browse("gmp")
    created = gmp.submit("/storage", {"unit_id": "FR-01", "name": "Pharmacy fridge", "kind": "fridge_2_8",
                                      "location": "Pharmacy"})  # fmt: skip
    assert created.status_code == 302
    page = gmp.get("/storage")
    assert b"FR-01" in page.data
    token_page = gmp.get("/storage/FR-01")
    from tests.conftest import csrf_token_in

    data = {"file": (io.BytesIO(GOOD_FILE.encode()), "log.csv"), "csrf_token": csrf_token_in(token_page.data)}
    imported = gmp.client.post("/storage/FR-01/import", data=data, content_type="multipart/form-data")
    assert imported.status_code == 302
    detail = gmp.get("/storage/FR-01?since=2026-11-30&until=2026-12-02").data.decode()
    assert "<svg" in detail
    assert "<title" in detail
    assert "<desc" in detail
    assert 'class="readings"' in detail
    assert 'id="excursions"' in detail
    qa = browse("qa")
    assert qa.get("/storage/FR-01").status_code == 200
    assert b"import-form" not in qa.get("/storage/FR-01").data
    assert browse("nurse").get("/storage").status_code == 403
    assert browse("investigator").get("/storage/FR-01").status_code == 403


def test_the_audit_trail_still_verifies_after_units_moves_readings_and_alarms(login, runner, clock):
    gmp = login("gmp")
    _unit(gmp)
    containers = [c["container_id"] for c in create_lot(gmp)["containers"]]
    move = {"container_id": containers[0], "rack": "R9", "box": "B9", "position": "A1"}
    assert gmp.post("/api/v1/storage-units/LN2-01/moves", json=move).status_code == 201
    clock.advance(dt.timedelta(hours=2))
    start = CLOCK.now() - dt.timedelta(hours=1)
    body = {"readings": _readings(start, [-190] + [-100] * 8 + [-190])}
    assert len(gmp.post("/api/v1/storage-units/LN2-01/readings", json=body).json["deviations"]) == 4
    clock.advance(dt.timedelta(hours=1))
    assert "Raised 1" in runner.invoke(args=["storage", "watch"]).output
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
