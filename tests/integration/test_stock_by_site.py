"""Stock by site and lot (issue 23) through the API and the page: where each lot's containers are per site
(the GMP lab's store, shipped, the pharmacy) after a shipment to a second site, the lot's disposition, expiry,
days to it and colour band; blinded readers get the same answer whatever the pharmacy does, the pharmacist
reads thawed and discarded there; a person bound to a site reads that site only; the page draws the SVG."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from tests.lots_support import create_lot
from tests.shipments_support import CELL_LOT, STEADY, VEHICLE_LOT, dispatched, logger_csv, released_lots
from tracker.db import CLOCK

URL = "/api/v1/reports/stock-by-site"
BLINDED = {"in_store", "shipped", "in_pharmacy", "discarded_in_lab"}


@pytest.fixture
def shipped(login, clock):
    """Two released lots of four containers at SITE-01; two kits shipped to SITE-02 and received there."""
    gmp, qa, cells, vehicle = released_lots(login)
    pharmacist = login("pharmacist")
    kits = [cells[0], vehicle[0], cells[1], vehicle[1]]
    sid = dispatched(gmp, kits, clock)
    in_transit = qa.get(URL).json
    body = {"container_ids": kits, "logger_csv": logger_csv(CLOCK.now() - dt.timedelta(hours=2), STEADY)}
    received = pharmacist.post(f"/api/v1/shipments/{sid}/receipt", json=body)
    assert received.status_code == 200, received.json
    assert sorted(received.json["issued"]) == sorted(kits)
    return {"gmp": gmp, "qa": qa, "pharmacist": pharmacist, "cells": cells, "vehicle": vehicle,
            "in_transit": in_transit}  # fmt: skip


def _lots(report: dict) -> dict[tuple[str, str], dict]:
    return {(s["site_code"], lot["lot_number"]): lot for s in report["sites"] for lot in s["lots"]}


def _without_time(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in ("generated_at", "generated_by")}


def test_counts_per_site_after_a_shipment_is_received_at_a_second_site(shipped):
    on_the_road = _lots(shipped["in_transit"])
    assert on_the_road[("SITE-01", CELL_LOT)]["counts"] == {
        "in_store": 2, "shipped": 2, "in_pharmacy": 0, "discarded_in_lab": 0,
    }  # fmt: skip
    assert ("SITE-02", CELL_LOT) not in on_the_road  # nothing arrived yet
    report = shipped["qa"].get(URL).json
    assert [s["site_code"] for s in report["sites"]] == ["SITE-01", "SITE-02"]
    assert report["sites"][1]["site_name"] == "Hospital SITE-02"
    lots = _lots(report)
    for lot in (CELL_LOT, VEHICLE_LOT):
        assert lots[("SITE-01", lot)]["counts"] == {
            "in_store": 2, "shipped": 0, "in_pharmacy": 0, "discarded_in_lab": 0,
        }  # fmt: skip
        assert lots[("SITE-02", lot)]["counts"] == {
            "in_store": 0, "shipped": 0, "in_pharmacy": 2, "discarded_in_lab": 0,
        }  # fmt: skip
        assert lots[("SITE-01", lot)]["total"] == lots[("SITE-02", lot)]["total"] == 2
    cells = lots[("SITE-02", CELL_LOT)]
    assert (cells["material"], cells["disposition"], cells["usable"]) == ("ucmsc", "released", True)
    # Made a year before its expiry; the shipment's three hours on the road may have crossed midnight (the
    # site's zone is UTC here): the days are counted from the clock's day now.
    expires_on = dt.datetime.fromisoformat(cells["expires_at"]).astimezone(dt.UTC).date()
    assert cells["days_to_expiry"] == (expires_on - CLOCK.now().astimezone(dt.UTC).date()).days
    assert cells["days_to_expiry"] in (364, 365)
    assert cells["expiry_band"] == "beyond_90_days"
    assert report["unblinded"] is False
    assert report["count_names"] == ["in_store", "shipped", "in_pharmacy", "discarded_in_lab"]


def test_a_blinded_reader_gets_the_same_answer_whatever_the_pharmacy_did(shipped, login):
    gmp, qa, pharmacist = shipped["gmp"], shipped["qa"], shipped["pharmacist"]
    before = {role: _without_time(c.get(URL).json) for role, c in (("gmp", gmp), ("qa", qa))}
    csv_before = qa.get(URL + ".csv").get_data(as_text=True)
    thawed = pharmacist.post("/api/v1/thaws", json={
        "container_id": shipped["cells"][0], "viable_cells_per_ml": 5e6, "viability_percent": 85,
        "volume_ml": 10,
    })  # fmt: skip
    assert thawed.status_code == 201, thawed.json
    discarded = pharmacist.post(
        f"/api/v1/containers/{shipped['vehicle'][0]}/handoffs",
        json={"action": "discard", "location": "Pharmacy", "note": "seam leaking"},
    )
    assert discarded.status_code == 201, discarded.json
    for role, client in (("gmp", gmp), ("qa", qa)):
        after = client.get(URL).json
        assert _without_time(after) == before[role], role
        for lot in _lots(after).values():
            assert set(lot["counts"]) == BLINDED, role
    assert qa.get(URL + ".csv").get_data(as_text=True) == csv_before
    # the pharmacist reads what became of them, as /pharmacy/stock does
    seen = pharmacist.get(URL).json
    assert seen["unblinded"] is True
    lots = _lots(seen)
    assert lots[("SITE-02", CELL_LOT)]["counts"] == {
        "in_store": 0, "shipped": 0, "in_pharmacy": 2, "discarded_in_lab": 0,
        "issued": 1, "thawed": 1, "used": 0, "discarded_in_pharmacy": 0,
    }  # fmt: skip
    assert lots[("SITE-02", VEHICLE_LOT)]["counts"]["discarded_in_pharmacy"] == 1
    header = next(csv.reader(io.StringIO(pharmacist.get(URL + ".csv").get_data(as_text=True))))
    assert "thawed" in header
    assert "thawed" not in next(csv.reader(io.StringIO(csv_before)))


def test_a_person_bound_to_a_site_reads_only_that_site(shipped, login):
    hospital = login("pharmacist", sites=("SITE-02",)).get(URL).json
    assert [s["site_code"] for s in hospital["sites"]] == ["SITE-02"]
    assert {lot["counts"]["in_store"] for lot in hospital["sites"][0]["lots"]} == {0}  # never the lab's store
    assert {lot["lot_number"] for lot in hospital["sites"][0]["lots"]} == {CELL_LOT, VEHICLE_LOT}
    lab = login("gmp", sites=("SITE-01",)).get(URL).json
    assert [s["site_code"] for s in lab["sites"]] == ["SITE-01"]
    assert {lot["total"] for lot in lab["sites"][0]["lots"]} == {2}
    rows = list(
        csv.DictReader(io.StringIO(login("qa", sites=("SITE-02",)).get(URL + ".csv").get_data(as_text=True)))
    )
    assert {r["site_code"] for r in rows} == {"SITE-02"}


def test_days_to_expiry_and_colour_band(login, browse, clock):
    gmp = login("gmp")
    for lot, days in (("UC-E020", 20), ("UC-E060", 60), ("UC-E200", 200)):
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).isoformat()
        create_lot(gmp, lot, "ucmsc", expires_at=expires)
    lots = _lots(gmp.get(URL).json)
    seen = {n: (lots[("SITE-01", n)]["days_to_expiry"], lots[("SITE-01", n)]["expiry_band"]) for n in
            ("UC-E020", "UC-E060", "UC-E200")}  # fmt: skip
    assert seen == {"UC-E020": (20, "under_30_days"), "UC-E060": (60, "under_90_days"),
                    "UC-E200": (200, "beyond_90_days")}  # fmt: skip
    assert lots[("SITE-01", "UC-E020")]["disposition"] == "quarantine"
    assert lots[("SITE-01", "UC-E020")]["counts"]["in_store"] == 4
    clock.advance(dt.timedelta(days=25))
    gmp = login("gmp")  # a new token: the first one lapsed in those days
    lots = _lots(gmp.get(URL).json)
    assert (lots[("SITE-01", "UC-E020")]["days_to_expiry"], lots[("SITE-01", "UC-E020")]["expiry_band"]) == (
        -5, "expired",
    )  # fmt: skip
    assert lots[("SITE-01", "UC-E060")]["expiry_band"] == "under_90_days"
    svg = browse("gmp").get("/reports/stock-by-site").get_data(as_text=True)
    expired = re.search(r'<g class="lot band-expired" data-lot="UC-E020".*?</g>', svg).group(0)
    assert "expired 5 days ago" in expired
    assert "<rect" not in expired  # a cross at day 0, no bar
    # the soonest expiry first
    assert [lot["lot_number"] for lot in gmp.get(URL).json["sites"][0]["lots"]] == [
        "UC-E020", "UC-E060", "UC-E200",
    ]  # fmt: skip


def test_the_page_draws_one_bar_per_lot_and_site_with_its_band(shipped, login, browse):
    create_lot(shipped["gmp"], "UC-SOON", "ucmsc",
               expires_at=(dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).isoformat())  # fmt: skip
    for role in ("gmp", "qa", "pharmacist"):
        index = browse(role).get("/reports").get_data(as_text=True)
        assert 'id="stock-by-site"' in index, role
        page = browse(role).get("/reports/stock-by-site")
        assert page.status_code == 200, role
        html = page.get_data(as_text=True)
        svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
        assert 'class="stock-chart"' in svg
        assert "style=" not in svg  # the Content-Security-Policy forbids them
        assert "<script" not in svg
        bars = re.findall(r'<g class="lot band-([a-z0-9_]+)" data-lot="([^"]+)" data-site="([^"]+)"', svg)
        assert sorted(bars) == sorted([
            ("beyond_90_days", CELL_LOT, "SITE-01"), ("beyond_90_days", VEHICLE_LOT, "SITE-01"),
            ("under_30_days", "UC-SOON", "SITE-01"),
            ("beyond_90_days", CELL_LOT, "SITE-02"), ("beyond_90_days", VEHICLE_LOT, "SITE-02"),
        ]), role  # fmt: skip
        assert "Hospital SITE-02" in svg
        assert 'data-lot="UC-SOON" data-band="under_30_days"' in html
    pharmacy = browse("pharmacist").get("/reports/stock-by-site").get_data(as_text=True)
    assert "Thawed" in pharmacy
    assert "Thawed" not in browse("qa").get("/reports/stock-by-site").get_data(as_text=True)
    for role in ("nurse", "investigator", "statistician", "admin"):
        assert browse(role).get("/reports/stock-by-site").status_code == 403, role
        assert login(role).get(URL).status_code == 403, role
        assert "stock-by-site" not in browse(role).get("/reports").get_data(as_text=True), role


def test_the_page_reads_in_chinese(shipped, browse):
    page = browse("qa")
    page.client.set_cookie("lang", "zh")
    html = page.get("/reports/stock-by-site", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "按中心和批次的库存" in html
