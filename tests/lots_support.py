"""Building lots through the API for tests: valid bodies and QC results that pass or fail the UMSIS spec."""

from __future__ import annotations

import datetime as dt
from typing import Any

PASSING = {
    "ucmsc": {
        "sterility": "negative", "mycoplasma": "Negative", "endotoxin": 0.12, "viability": 92.5,
        "cd73": 98.1, "cd90": 99.0, "cd105": 97.4, "cd34": 0.4, "cd45": 0.6, "hla_dr": 1.1,
        "karyotype": "normal",
    },
    "placebo": {"sterility": "negative", "endotoxin": 0.05},
}  # fmt: skip


def iso(delta: dt.timedelta = dt.timedelta()) -> str:
    return (dt.datetime.now(dt.UTC) + delta).isoformat()


def lot_body(lot_number: str = "UC-0001", material: str = "ucmsc", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "lot_number": lot_number,
        "material": material,
        "manufactured_at": iso(-dt.timedelta(days=3)),
        "expires_at": iso(dt.timedelta(days=365)),
        "container_count": 4,
        "volume_ml_per_container": 10,
    }
    if material == "ucmsc":
        body["cells_per_container"] = 1.5e8
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def create_lot(gmp: Any, lot_number: str = "UC-0001", material: str = "ucmsc", **overrides: Any) -> dict:
    response = gmp.post("/api/v1/lots", json=lot_body(lot_number, material, **overrides))
    assert response.status_code == 201, response.json
    return response.json


def enter_results(gmp: Any, lot_number: str, results: dict[str, Any]) -> list[dict]:
    answers = []
    for test, value in results.items():
        response = gmp.post(f"/api/v1/lots/{lot_number}/qc-results", json={"test": test, "value": value})
        assert response.status_code == 201, response.json
        answers.append(response.json)
    return answers


def passing_lot(gmp: Any, lot_number: str = "UC-0001", material: str = "ucmsc", **overrides: Any) -> dict:
    create_lot(gmp, lot_number, material, **overrides)
    enter_results(gmp, lot_number, PASSING[material])
    return gmp.get(f"/api/v1/lots/{lot_number}").json


def issue(client: Any, *container_ids: str, location: str = "Pharmacy") -> Any:
    """POST /containers/issue: the answer, whatever it is."""
    return client.post(
        "/api/v1/containers/issue", json={"container_ids": list(container_ids), "location": location}
    )


def issue_kits(client: Any, cell_containers: list[str], vehicle_containers: list[str]) -> dict:
    """Issue kits of one cell and one vehicle container each, pairing the lists in order; must succeed."""
    ids = [cid for pair in zip(cell_containers, vehicle_containers, strict=True) for cid in pair]
    response = issue(client, *ids)
    assert response.status_code == 201, response.json
    return response.json
