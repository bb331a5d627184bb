"""Shipments through the API for tests: two released lots, a planned shipment, a logger file, one that
arrives with a 45-minute excursion beyond the study's 30-minute limit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import PASSWORD
from tests.lots_support import passing_lot
from tests.sites_support import add_site
from tracker.db import CLOCK

CELL_LOT, VEHICLE_LOT = "UC-H001", "PL-H001"
# 45 minutes above −150 °C (5-minute readings), beyond the 30-minute limit
EXCURSION = [-190] * 4 + [-120] * 9 + [-190] * 4
STEADY = [-190] * 17


def released_lots(login: Any) -> tuple[Any, Any, list[str], list[str]]:
    add_site(login, "SITE-02")  # the hospital the shipments go to
    gmp, qa = login("gmp"), login("qa")
    cells = [c["container_id"] for c in passing_lot(gmp, CELL_LOT, "ucmsc")["containers"]]
    vehicle = [c["container_id"] for c in passing_lot(gmp, VEHICLE_LOT, "placebo")["containers"]]
    for lot in (CELL_LOT, VEHICLE_LOT):
        signed = qa.post(f"/api/v1/lots/{lot}/release", json={"password": PASSWORD, "meaning": "QA release"})
        assert signed.status_code == 200, signed.json
    return gmp, qa, cells, vehicle


def dry_shipper(gmp: Any, unit_id: str = "DS-01") -> str:
    body = {"unit_id": unit_id, "name": "Dry shipper", "kind": "dry_shipper", "location": "GMP lab"}
    made = gmp.post("/api/v1/storage-units", json=body)
    assert made.status_code == 201, made.json
    return unit_id


def plan(gmp: Any, *ids: str, **extra: Any) -> Any:
    body = {"destination_site": "site-02", "courier": "ColdCourier", "tracking_number": "TRK-1",
            "container_ids": list(ids), **extra}  # fmt: skip
    return gmp.post("/api/v1/shipments", json=body)


def logger_csv(start: dt.datetime, values: list[float], step_minutes: int = 5) -> str:
    lines = ["time,temperature (°C)"]
    lines += [
        f"{(start + dt.timedelta(minutes=step_minutes * i)).isoformat()},{v}" for i, v in enumerate(values)
    ]
    return "\n".join(lines) + "\n"


def dispatched(gmp: Any, ids: list[str], clock: Any, **extra: Any) -> str:
    """A shipment of `ids` planned and dispatched, three hours on the road since: its ID."""
    planned = plan(gmp, *ids, **extra)
    assert planned.status_code == 201, planned.json
    sid = planned.json["shipment_id"]
    assert gmp.post(f"/api/v1/shipments/{sid}/dispatch").status_code == 200
    clock.advance(dt.timedelta(hours=3))
    return sid


def road_start() -> dt.datetime:
    """Where the logger's readings begin: two hours before now, after the dispatch."""
    return CLOCK.now() - dt.timedelta(hours=2)


def in_quarantine(client: Any) -> list[str]:
    return sorted(i["container_id"] for i in client.get("/api/v1/containers/quarantined").json["items"])


def in_pharmacy_stock(pharmacist: Any) -> set[str]:
    stock = pharmacist.get("/api/v1/stock").json
    return {c["container_id"] for kit in stock["kits"] for c in kit["containers"] if c["in_stock"]}


def received_at(sender: Any, receiver: Any, site: str, container_ids: list[str]) -> str:
    """`container_ids` shipped by `sender` to `site`, dispatched, and received whole there by `receiver`: the
    shipment's ID."""
    planned = sender.post(
        "/api/v1/shipments", json={"destination_site": site, "container_ids": container_ids}
    )
    assert planned.status_code == 201, planned.json
    sid = planned.json["shipment_id"]
    assert sender.post(f"/api/v1/shipments/{sid}/dispatch").status_code == 200
    received = receiver.post(f"/api/v1/shipments/{sid}/receipt", json={"container_ids": container_ids})
    assert received.status_code == 200, received.json
    return sid
