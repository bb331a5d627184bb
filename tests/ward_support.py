"""Moving prepared bags through the ward in tests: handoffs, scans and infusions through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from tracker.doses.models import Bag
from tracker.web.context import uow

WARD = "Ward 5 north"


def handoff(client: Any, bag_id: str, action: str, location: str = WARD, **extra: Any) -> Any:
    return client.post(
        f"/api/v1/bags/{bag_id}/handoffs", json={"action": action, "location": location, **extra}
    )


def move(trial: Any, bag_id: str, *actions: str) -> None:
    """Apply handoffs in order (dispatch by the pharmacist, the rest by the nurse), each must succeed."""
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
