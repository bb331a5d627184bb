"""Moving prepared bags through the ward in tests: handoffs, scans and infusions through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from tracker.pharmacy.models import Bag
from tracker.web.context import uow

WARD = "Ward 5 north"
# What a nurse measures on receipt when the study sets a transport range (UMSIS: 2–8 °C), unless a test says.
GOOD_RECEIPT = {"temperature_c": 5.0, "seal_intact": True}


def print_label(client: Any, bag_id: str) -> None:
    """Print a bag's label once, as the pharmacy does before a dispatch (a reprint would need a reason)."""
    printed = client.get(f"/api/v1/bags/{bag_id}")
    if printed.status_code == 200 and printed.json.get("print_count", 0) == 0:
        client.get(f"/api/v1/bags/{bag_id}/label.pdf")


def handoff(client: Any, bag_id: str, action: str, location: str = WARD, **extra: Any) -> Any:
    """One handoff through the API. A pharmacist's dispatch prints the label first and a receipt
    reports a good transport condition unless the test gives its own: the ward's rules need both, and the
    tests of those rules post their own bodies."""
    if action == "dispatch" and client.role == "pharmacist":
        print_label(client, bag_id)
    if action == "receive":
        extra = {**GOOD_RECEIPT, **extra}
    return client.post(
        f"/api/v1/bags/{bag_id}/handoffs", json={"action": action, "location": location, **extra}
    )


def move(trial: Any, bag_id: str, *actions: str) -> None:
    """Apply handoffs in order (dispatch by the pharmacist, the rest by the nurse), each must succeed."""
    if "dispatch" in actions:
        print_label(trial.pharmacist, bag_id)
    for action in actions:
        client = trial.pharmacist if action == "dispatch" else trial.nurse
        extra = {"reason": "damaged in test"} if action == "destroy" else {}
        response = handoff(client, bag_id, action, **extra)
        assert response.status_code == 201, (action, response.json)


def ready_bag(trial: Any, arm: str = "active", index: int = 0) -> dict:
    """A prepared bag of `arm`, dispatched and received on the ward; with its participant."""
    participant_id, code = trial.of_arm(arm)[index]
    bag = trial.prepare(code, arm)
    move(trial, bag["bag_id"], "dispatch", "receive")
    return {**bag, "participant_id": participant_id}


def scan(trial: Any, payload: str, participant_id: str) -> Any:
    return trial.nurse.post("/api/v1/scans", json={"qr_payload": payload, "participant_id": participant_id})


def start(trial: Any, bag_id: str, participant_id: str, **extra: Any) -> Any:
    return trial.nurse.post(
        "/api/v1/infusions", json={"bag_id": bag_id, "participant_id": participant_id, **extra}
    )


def shift_bag(app: Any, bag_id: str, delta: dt.timedelta) -> None:
    """Move a bag's preparation and use-by back by `delta`, as if that much time had passed."""
    with app.app_context(), uow() as work:
        bag = work.session.execute(select(Bag).where(Bag.bag_id == bag_id)).scalar_one()
        bag.prepared_at -= delta
        bag.use_by -= delta
        work.commit()
