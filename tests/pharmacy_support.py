"""A small trial for pharmacy and ward tests: released cell and vehicle lots whose containers the GMP lab has
issued to the pharmacy in kits, an imported list whose arms the test knows, and enrolled participants."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import PASSWORD
from tests.integration.randomization_support import fresh_code, import_list
from tests.lots_support import issue_kits, passing_lot

CELL_LOT, VEHICLE_LOT = "UC-0001", "VEH-0001"


@dataclass
class Trial:
    gmp: Any
    qa: Any
    pharmacist: Any
    nurse: Any
    investigator: Any
    cell_containers: list[str]
    vehicle_containers: list[str] = field(default_factory=list)
    # participant_id -> (randomization code, arm), in enrolment order
    participants: dict[str, tuple[str, str]] = field(default_factory=dict)

    def of_arm(self, arm: str) -> list[tuple[str, str]]:
        return [(pid, code) for pid, (code, a) in self.participants.items() if a == arm]

    def thaw(
        self, cells_per_ml: float = 5e6, viability: float = 85, volume: float = 20, **extra: Any
    ) -> dict:
        container = self.cell_containers.pop(0)
        body = {
            "container_id": container, "viable_cells_per_ml": cells_per_ml,
            "viability_percent": viability, "volume_ml": volume, **extra,
        }  # fmt: skip
        response = self.pharmacist.post("/api/v1/thaws", json=body)
        assert response.status_code == 201, response.json
        return response.json

    def prepare_active(self, code: str, thaw_id: str | None = None, drawn: float = 20, **extra: Any):
        thaw_id = thaw_id or self.thaw()["thaw_id"]
        body = {
            "randomization_code": code,
            "thaw_id": thaw_id,
            "drawn_volume_ml": drawn,
            "final_volume_ml": 100,
        }
        return self.pharmacist.post("/api/v1/doses", json={**body, **extra})

    def prepare_placebo(self, code: str, **extra: Any):
        body = {"randomization_code": code, "placebo_lot": VEHICLE_LOT, "final_volume_ml": 100}
        return self.pharmacist.post("/api/v1/doses", json={**body, **extra})

    def prepare(self, code: str, arm: str) -> dict:
        response = self.prepare_active(code) if arm == "active" else self.prepare_placebo(code)
        assert response.status_code == 201, response.json
        return response.json


def _release(qa: Any, lot_number: str) -> None:
    response = qa.post(
        f"/api/v1/lots/{lot_number}/release", json={"password": PASSWORD, "meaning": "QA release"}
    )
    assert response.status_code == 200, response.json


def build_trial(login: Any, runner: Any, tmp_path: Any, per_arm: int = 2, kits: int = 8) -> Trial:
    """`kits` kits (a cell and a vehicle container each) issued to the pharmacy; the rest stay in store."""
    gmp, qa = login("gmp"), login("qa")
    cells = passing_lot(gmp, CELL_LOT, "ucmsc", container_count=8, volume_ml_per_container=20)
    vehicle = passing_lot(gmp, VEHICLE_LOT, "placebo", container_count=8, volume_ml_per_container=100)
    _release(qa, CELL_LOT)
    _release(qa, VEHICLE_LOT)
    cell_ids = [c["container_id"] for c in cells["containers"]]
    vehicle_ids = [c["container_id"] for c in vehicle["containers"]]
    if kits:
        issue_kits(gmp, cell_ids[:kits], vehicle_ids[:kits])
    rows = [(fresh_code(), "A", ("active", "placebo")[i % 2]) for i in range(2 * per_arm)]
    import_list(runner, tmp_path, rows)
    trial = Trial(
        gmp=gmp, qa=qa, pharmacist=login("pharmacist"), nurse=login("nurse"),
        investigator=login("investigator"),
        cell_containers=cell_ids, vehicle_containers=vehicle_ids,
    )  # fmt: skip
    for i, (code, _, arm) in enumerate(rows):
        participant_id = f"P-{i + 1:03d}"
        response = trial.investigator.post(
            "/api/v1/participants", json={"participant_id": participant_id, "stratum": "A"}
        )
        assert response.status_code == 201, response.json
        assert response.json["randomization_code"] == code
        trial.participants[participant_id] = (code, arm)
    return trial


def iso(delta: dt.timedelta = dt.timedelta()) -> str:
    return (dt.datetime.now(dt.UTC) + delta).isoformat()
