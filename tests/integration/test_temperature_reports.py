"""The temperature reports through the API and the pages: a unit's history over a period (CSV of every
reading, PDF with range, summary, excursions, chart and signature, in English and Chinese) and the time out of
range of every unit with the minutes each container spent out of range; GMP, the pharmacy and QA read them,
nurses and investigators do not."""

from __future__ import annotations

import csv
import datetime as dt
import io
from urllib.parse import urlencode

import pytest

from tests.lots_support import create_lot
from tests.pdf_support import flat, pdf_text
from tracker.db import CLOCK

READERS = ("gmp", "pharmacist", "qa")
EXCURSION = [-190] * 4 + [-120] * 9 + [-190] * 4  # readings 5 minutes apart: 45 minutes out of range


def _unit(client, unit_id="LN2-01", kind="ln2_freezer", name="Main freezer"):
    body = {"unit_id": unit_id, "name": name, "kind": kind, "location": "GMP lab room 2"}
    response = client.post("/api/v1/storage-units", json=body)
    assert response.status_code == 201, response.json
    return response.json


def _post(client, unit_id, start, values, step_minutes=5):
    readings = [
        {"at": (start + dt.timedelta(minutes=step_minutes * i)).isoformat(), "temperature_c": v}
        for i, v in enumerate(values)
    ]
    response = client.post(f"/api/v1/storage-units/{unit_id}/readings", json={"readings": readings})
    assert response.status_code == 201, response.json
    return response.json


def _rows(response):
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/csv"
    for header in ("X-Generated-At", "X-Generated-By", "X-Audit-Chain-Head"):
        assert response.headers[header]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def freezer(login, clock):
    """LN2-01 holding a lot's four containers (the first moved to LN2-02 half-way through the excursion),
    readings every 5 minutes for 80 minutes from two hours ago, 45 of them out of range."""
    gmp = login("gmp")
    _unit(gmp)
    _unit(gmp, "LN2-02", name="Spare freezer")
    containers = [c["container_id"] for c in create_lot(gmp)["containers"]]
    clock.advance(dt.timedelta(hours=3))
    start = (CLOCK.now() - dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    move = {"container_id": containers[0], "rack": "R1", "box": "B1", "position": "A1",
            "at": (start + dt.timedelta(minutes=35)).isoformat()}  # fmt: skip
    assert gmp.post("/api/v1/storage-units/LN2-02/moves", json=move).status_code == 201
    _post(gmp, "LN2-01", start, EXCURSION)
    return {"gmp": gmp, "start": start, "containers": containers}


def test_the_readings_csv_holds_every_reading_in_utc_and_the_site_zone_with_its_range(app, freezer, login):
    app.config["SITE_TIMEZONE"] = "Asia/Shanghai"
    start = freezer["start"]
    rows = _rows(login("qa").get("/api/v1/reports/storage-units/LN2-01/temperatures.csv"))
    assert len(rows) == 17
    first, fifth = rows[0], rows[4]
    assert first["unit_id"] == "LN2-01"
    assert first["unit_name"] == "Main freezer"
    assert dt.datetime.fromisoformat(first["at_utc"]) == start
    assert first["at_utc"].endswith("+00:00")
    assert first["at_site"].endswith("+08:00")
    assert dt.datetime.fromisoformat(first["at_site"]) == start
    assert (float(first["temperature_c"]), first["in_range"]) == (-190.0, "yes")
    assert (float(fifth["temperature_c"]), fifth["in_range"]) == (-120.0, "no")
    assert [r["in_range"] for r in rows].count("no") == 9


def test_the_period_filters_the_readings_and_defaults_to_the_last_seven_days(freezer, login, clock):
    qa, start = login("qa"), freezer["start"]
    old = start - dt.timedelta(days=8)
    _post(freezer["gmp"], "LN2-01", old, [-185])
    url = "/api/v1/reports/storage-units/LN2-01/temperatures.csv"
    assert len(_rows(qa.get(url))) == 17  # the reading 8 days ago is outside the default period
    period = {"since": (start + dt.timedelta(minutes=10)).isoformat(),
              "until": (start + dt.timedelta(minutes=30)).isoformat()}  # fmt: skip
    rows = _rows(qa.get(f"{url}?{urlencode(period)}"))
    assert [dt.datetime.fromisoformat(r["at_utc"]) for r in rows] == [
        start + dt.timedelta(minutes=m) for m in (10, 15, 20, 25, 30)
    ]
    every = _rows(qa.get(f"{url}?{urlencode({'since': (old - dt.timedelta(days=1)).date().isoformat()})}"))
    assert len(every) == 18
    text = flat(
        pdf_text(qa.get(f"/api/v1/reports/storage-units/LN2-01/temperatures.pdf?{urlencode(period)}"))
    )
    assert "Readings: 5" in text
    assert "Time out of range: 10.0 min" in text  # 20 to 30: the period's last reading ends its excursion


def test_the_unit_pdf_shows_the_range_the_summary_the_excursions_the_chart_and_a_signature(freezer, login):
    text = flat(pdf_text(login("pharmacist").get("/api/v1/reports/storage-units/LN2-01/temperatures.pdf")))
    for words in (
        "Temperature history of LN2-01", "LN2-01 — Main freezer (GMP lab room 2)", "Kind: LN2 freezer",
        "Allowed range: ≤ -150 °C", "Readings: 17",
        "Lowest, highest and mean: -190.0 °C · -120.0 °C · -152.9 °C",
        "Time out of range: 45.0 min (limit 30 min per excursion)", "Temperature chart", "Excursions",
        "Beyond the limit", "Review and signature", "I have reviewed this report",
    ):  # fmt: skip
        assert words in text, words
    assert "45 -120.0 -120.0 Yes" in text  # the excursion's minutes, lowest, highest, beyond the limit
    assert "Time (UTC)" in text  # the chart's axis


def test_the_unit_pdf_speaks_chinese(freezer, browse):
    qa = browse("qa")
    qa.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    text = flat(pdf_text(qa.get("/reports/storage-units/LN2-01/temperatures.pdf")))
    for words in ("温度记录", "液氮冰箱", "允许范围", "超出范围的时间", "审核与签名", "温度曲线"):
        assert words in text, words
    for english in ("Temperature history", "Allowed range", "Time out of range", "Review and signature",
                    "Beyond the limit", "LN2 freezer"):  # fmt: skip
        assert english not in text, english


def test_time_out_of_range_counts_each_container_only_while_it_was_in_the_unit(freezer, login):
    first, *others = freezer["containers"]
    rows = _rows(login("qa").get("/api/v1/reports/time-out-of-range.csv"))
    units = {r["unit_id"]: r for r in rows if r["record"] == "unit"}
    assert (units["LN2-01"]["readings"], units["LN2-01"]["excursions"]) == ("17", "1")
    assert float(units["LN2-01"]["minutes_out_of_range"]) == 45
    assert (units["LN2-02"]["readings"], units["LN2-02"]["excursions"]) == ("0", "0")
    assert float(units["LN2-02"]["minutes_out_of_range"]) == 0
    (excursion,) = [r for r in rows if r["record"] == "excursion"]
    assert dt.datetime.fromisoformat(excursion["start"]) == freezer["start"] + dt.timedelta(minutes=20)
    assert (float(excursion["minutes_out_of_range"]), excursion["beyond_limit"]) == (45, "yes")
    exposed = {
        r["container_id"]: float(r["minutes_out_of_range"]) for r in rows if r["record"] == "container"
    }
    assert exposed == {first: 15, **{c: 45 for c in others}}  # moved out 15 minutes into it
    assert {r["lot_number"] for r in rows if r["record"] == "container"} == {"UC-0001"}
    text = flat(pdf_text(login("gmp").get("/api/v1/reports/time-out-of-range.pdf")))
    for words in ("Time out of range", "Per unit", "Containers in a unit during an excursion",
                  "Review and signature", "Spare freezer"):  # fmt: skip
        assert words in text, words
    assert f"LN2-01 {first} UC-0001 1 15" in text


def test_only_gmp_the_pharmacy_and_qa_read_the_temperature_reports(freezer, login, browse):
    api = [
        "/api/v1/reports/storage-units/LN2-01/temperatures.csv",
        "/api/v1/reports/storage-units/LN2-01/temperatures.pdf",
        "/api/v1/reports/time-out-of-range.csv",
        "/api/v1/reports/time-out-of-range.pdf",
    ]
    for role in READERS:
        client = login(role)
        assert all(client.get(url).status_code == 200 for url in api), role
    for role in ("nurse", "investigator"):
        client, page = login(role), browse(role)
        assert all(client.get(url).status_code == 403 for url in api), role
        assert all(page.get(url.removeprefix("/api/v1")).status_code == 403 for url in api), role
    assert login("qa").get("/api/v1/reports/storage-units/NO-SUCH/temperatures.csv").status_code == 404


def test_the_storage_pages_link_to_the_files_of_the_period_shown(freezer, browse):
    gmp = browse("gmp")
    detail = gmp.get("/storage/LN2-01?since=2026-11-30&until=2026-12-02").get_data(as_text=True)
    assert "/reports/storage-units/LN2-01/temperatures.csv?since=2026-11-30&amp;until=2026-12-02" in detail
    assert "/reports/storage-units/LN2-01/temperatures.pdf?since=2026-11-30&amp;until=2026-12-02" in detail
    index = gmp.get("/storage").get_data(as_text=True)
    assert "/reports/time-out-of-range.csv" in index
    assert "/reports/time-out-of-range.pdf" in index
    page_file = gmp.get("/reports/storage-units/LN2-01/temperatures.csv")
    assert len(_rows(page_file)) == 17


def test_a_period_with_too_many_readings_to_print_leaves_them_to_the_csv(freezer, login, monkeypatch):
    from tracker.reports import temperatures

    monkeypatch.setattr(temperatures, "PDF_READINGS_LIMIT", 10)
    text = flat(pdf_text(login("qa").get("/api/v1/reports/storage-units/LN2-01/temperatures.pdf")))
    assert "17 readings are too many to print: every reading is in the CSV" in text
    assert "Readings: 17" in text
    assert "Temperature chart" in text
    assert "In range" not in text  # the readings table's column


def test_the_reports_page_offers_the_time_out_of_range_report_to_qa_and_the_pharmacy(freezer, browse):
    for role in ("qa", "pharmacist"):
        page = browse(role).get("/reports").get_data(as_text=True)
        assert 'id="time-out-of-range"' in page, role
        assert "/reports/time-out-of-range.csv" in page, role
    for role in ("nurse", "investigator", "admin", "statistician"):
        assert "time-out-of-range" not in browse(role).get("/reports").get_data(as_text=True), role


def test_an_unreadable_period_is_refused_not_guessed(freezer, login, browse):
    api = login("qa").get("/api/v1/reports/time-out-of-range.csv?since=yesterday")
    assert api.status_code == 422
    assert "since" in api.json["error"]["details"]
    page = browse("qa").get("/reports/storage-units/LN2-01/temperatures.pdf?until=soon")
    assert page.status_code == 422
