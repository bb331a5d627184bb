"""Demo lots for `flask --app app demo`: one released UC-MSC lot and one released placebo lot, made through
the real services (QC entered by demo_gmp, release signed by demo_qa with the password just generated)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tracker.db import utcnow
from tracker.lots import creation, qc, records, release
from tracker.roles import SYSTEM
from tracker.users.models import User
from tracker.users.services import actor_of
from tracker.web.context import login_policy, reader, uow

DEMO_LOTS = {"UCMSC-DEMO-01": "ucmsc", "VEH-DEMO-01": "placebo"}
DEMO_RESULTS = {
    "ucmsc": {
        "sterility": "negative", "mycoplasma": "negative", "endotoxin": 0.08, "viability": 93.4, "cd73": 98.7,
        "cd90": 99.2, "cd105": 97.9, "cd34": 0.3, "cd45": 0.5, "hla_dr": 0.9, "karyotype": "normal",
    },
    "placebo": {"sterility": "negative", "endotoxin": 0.03},
}  # fmt: skip


def _actor(username: str):  # noqa: ANN202
    with reader() as work:
        return actor_of(work.session.execute(select(User).where(User.username == username)).scalar_one())


def build_demo_lots(passwords: dict[str, str]) -> list[str]:
    """`passwords` holds the roles whose demo user was created in this run, with their passwords."""
    lines = ["Demo lots:"]
    existing = {item["lot_number"] for item in records.list_lots(reader(), SYSTEM)}
    now = utcnow()
    for lot_number, material in DEMO_LOTS.items():
        if lot_number in existing:
            lines.append(f"  {lot_number:<20} {material:<8} (exists)")
            continue
        if "qa" not in passwords:
            lines.append(
                f"  {lot_number:<20} {material:<8} not made: demo_qa's password is from an earlier run"
            )
            continue
        gmp, qa = _actor("demo_gmp"), _actor("demo_qa")
        body = {
            "lot_number": lot_number,
            "material": material,
            "manufactured_at": now - dt.timedelta(days=14),
            "expires_at": now + dt.timedelta(days=365),
            "container_count": 12,
            "volume_ml_per_container": 20.0 if material == "ucmsc" else 100.0,
        }
        if material == "ucmsc":
            body.update(
                cells_per_container=1.5e8, donor_code="UCD-DEMO-07", cell_bank="MCB-DEMO-1", passage=4
            )
        creation.create_lot(uow(), gmp, body)
        for test, value in DEMO_RESULTS[material].items():
            qc.record_qc_result(uow(), gmp, lot_number, test, value)
        release.release_lot(
            uow(), qa, lot_number, passwords["qa"], "Demo: QC results reviewed and meet specification",
            login_policy(),
        )  # fmt: skip
        lines.append(f"  {lot_number:<20} {material:<8} released")
    return lines
