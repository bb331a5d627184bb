"""A shipment in a browser, end to end: GMP plans a shipment of two kits on its page and dispatches it; the
pharmacist receives it by scanning and attaches the logger file afterwards, which shows an excursion beyond
the limit; exactly the shipment's kits are held in the pharmacy's stock (a kit issued before is not); QA sees
the journey's chart (on a tablet and in print) and releases them with one signed decision on the shipment's
page; the kits are then in the pharmacy's stock, free. A second path: QA destroys them."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import wedge
from tests.e2e.test_accessibility import _violations
from tests.lots_support import issue_kits
from tests.shipments_support import (
    EXCURSION,
    dispatched,
    dry_shipper,
    logger_csv,
    released_lots,
    road_start,
)

TABLET = {"width": 768, "height": 1024}


def _logger_file() -> dict:
    return {"name": "shipper-log.csv", "mimeType": "text/csv",
            "buffer": logger_csv(road_start(), EXCURSION).encode()}  # fmt: skip


def _held(stock_page) -> list[str]:
    return sorted(
        stock_page.locator("[data-quarantined]").evaluate_all("els => els.map(e => e.dataset.quarantined)")
    )


def test_a_shipment_with_an_excursion_is_held_whole_and_qa_releases_it_on_its_page(
    people, login, clock, live_server
):
    gmp_api, qa_api, cells, vehicle = released_lots(login)
    dry_shipper(gmp_api)
    issue_kits(gmp_api, [cells[3]], [vehicle[3]])  # a kit the pharmacy holds already, not in the shipment
    shipped = [cells[0], vehicle[0], cells[1], vehicle[1]]

    gmp = people("gmp", "Gina Lab")
    gmp.get_by_role("navigation", name="Workspaces").get_by_role("link", name="Shipments").click()
    gmp.get_by_role("link", name="New shipment").click()
    gmp.get_by_label("Destination site").select_option("SITE-02")
    gmp.get_by_label("Dry shipper (storage unit ID)").fill("DS-01")
    gmp.get_by_label("Courier").fill("ColdCourier")
    gmp.get_by_label("Tracking number").fill("TRK-778")
    gmp.get_by_label("Containers (scan one after another)").fill("\n".join(shipped))
    gmp.get_by_role("button", name="Plan the shipment").click()
    heading = gmp.get_by_role("heading", name=re.compile(r"^Shipment SH"))
    expect(heading).to_be_visible()
    sid = heading.inner_text().split()[-1]
    expect(gmp.locator("#manifest tbody tr")).to_have_count(4)
    gmp.get_by_role("button", name="Dispatch the shipment").click()
    expect(gmp.locator("[data-status=dispatched]")).to_be_visible()
    clock.advance(dt.timedelta(hours=3))

    pharmacist = people("pharmacist", "Pei Pharm")
    pharmacist.goto(f"{live_server}/shipments/{sid}")
    for cid in shipped:
        wedge(pharmacist, cid)
    pharmacist.get_by_role("button", name="Close the receipt").click()
    expect(pharmacist.locator("[data-status=received]")).to_be_visible()
    pharmacist.goto(f"{live_server}/pharmacy/stock")
    assert _held(pharmacist) == []
    pharmacist.goto(f"{live_server}/shipments/{sid}")
    assert _violations(pharmacist) == []  # the page with its logger form
    pharmacist.locator("#logger input[type=file]").set_input_files(_logger_file())
    pharmacist.get_by_role("button", name="Attach the logger file").click()
    expect(pharmacist.locator("#time-out-of-range")).to_contain_text("45")
    expect(pharmacist.locator("#logger")).to_have_count(0)
    pharmacist.goto(f"{live_server}/pharmacy/stock")
    assert _held(pharmacist) == sorted(shipped)  # exactly the shipment's kits; the earlier kit is free

    qa = people("qa", "Qiu Anna", viewport=TABLET)
    qa.goto(f"{live_server}/shipments/{sid}")
    chart = qa.locator("#shipment-chart svg")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.band")).to_have_count(1)
    expect(chart.locator("rect.excursion")).to_have_count(1)
    box = chart.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= TABLET["width"]  # fits the tablet's width, no sideways scrolling
    qa.emulate_media(media="print")
    expect(chart).to_be_visible()
    qa.emulate_media(media="screen")
    assert _violations(qa) == []  # the chart, the held containers and the decision form, on a tablet
    held = qa.locator("#quarantined-containers tbody tr[data-decision=held]")
    expect(held).to_have_count(4)
    for cid in shipped:  # the form says which containers the one decision takes
        expect(qa.locator("#shipment-quarantine p.muted")).to_contain_text(cid)
    qa.get_by_label("Decision").select_option("release")
    qa.get_by_label("Reason").fill("Logger trace reviewed: 45 min at −120 °C, within the stability data")
    qa.get_by_label("Your password").fill(PASSWORD)
    qa.get_by_role("button", name="Sign the decision for the shipment").click()
    expect(qa.locator("#quarantined-containers tbody tr[data-decision=release]")).to_have_count(4)
    expect(qa.locator("#shipment-decision")).to_have_count(0)

    pharmacist.goto(f"{live_server}/pharmacy/stock")
    assert _held(pharmacist) == []
    in_stock = pharmacist.get_by_role("heading", name="Kits in stock").locator("xpath=..")
    for cid in shipped:
        expect(in_stock).to_contain_text(cid)


def test_qa_destroys_a_held_shipment_on_its_page(people, login, clock, live_server):
    gmp_api, qa_api, cells, vehicle = released_lots(login)
    pharmacist_api = login("pharmacist")
    shipped = [cells[0], vehicle[0]]
    sid = dispatched(gmp_api, shipped, clock, shipper_unit_id=dry_shipper(gmp_api))
    received = pharmacist_api.post(f"/api/v1/shipments/{sid}/receipt", json={"container_ids": shipped})
    assert received.status_code == 200, received.json
    attached = pharmacist_api.post(f"/api/v1/shipments/{sid}/logger",
                                   json={"logger_csv": logger_csv(road_start(), EXCURSION)})  # fmt: skip
    assert sorted(attached.json["quarantined"]) == sorted(shipped)

    qa = people("qa", "Qiu Anna")
    qa.goto(f"{live_server}/shipments/{sid}")
    qa.get_by_label("Decision").select_option("destroy")
    qa.get_by_label("Reason").fill("Too long out of range")
    qa.get_by_label("Your password").fill(PASSWORD)
    qa.get_by_role("button", name="Sign the decision for the shipment").click()
    expect(qa.locator("#quarantined-containers tbody tr[data-decision=destroy]")).to_have_count(2)

    pharmacist = people("pharmacist", "Pei Pharm")
    pharmacist.goto(f"{live_server}/pharmacy/stock")
    assert _held(pharmacist) == []
    in_stock = pharmacist.get_by_role("heading", name="Kits in stock").locator("xpath=..")
    for cid in shipped:
        expect(in_stock).not_to_contain_text(cid)
