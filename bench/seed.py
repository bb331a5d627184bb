"""Seeding scratch databases for the benchmarks: a small trial walked through the app's own services and
API (every row and audit event one the app wrote), and bulk-inserted years of history for the growth
figure."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Engine

from tracker import create_app
from tracker.audit.models import AuditHead
from tracker.pharmacy.bag_ids import new_bag_id
from tracker.pharmacy.models import Bag
from tracker.pharmacy.payload import make_payload
from tracker.randomization.models import Participant, RandomizationCode, RandomizationList
from tracker.randomization.rules import CODE_ALPHABET
from tracker.randomization.services import import_list
from tracker.roles import SYSTEM
from tracker.users.services import create_user
from tracker.ward.models import Infusion, Scan
from tracker.web.context import uow

PASSWORD = "Bench-password-1"  # noqa: S105 - users of a scratch database that is dropped afterwards
SECRET_KEY = "bench-secret-key"  # noqa: S105
QR_KEY = "bench-qr-signing-key"
CELL_LOT, VEHICLE_LOT = "BENCH-UC-1", "BENCH-VEH-1"
WARD = "Ward 5 north"
PASSING = {
    "ucmsc": {
        "sterility": "negative", "mycoplasma": "negative", "endotoxin": 0.12, "viability": 92.5,
        "cd73": 98.1, "cd90": 99.0, "cd105": 97.4, "cd34": 0.4, "cd45": 0.6, "hla_dr": 1.1,
        "karyotype": "normal",
    },
    "placebo": {"sterility": "negative", "endotoxin": 0.05},
}  # fmt: skip


def app_config(database_url: str, **extra: Any) -> dict[str, Any]:
    """Settings of every app the benchmarks start: the same keys, so a label one prints scans in another."""
    return {"DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "QR_SIGNING_KEY": QR_KEY, **extra}


@dataclass
class SeededWard:
    nurse_token: str
    # (qr_payload, participant_id) of bags received on the ward: each scan of one is a match
    bags: list[tuple[str, str]]
    bag_pks: list[int]


class _Client:
    """A test client signed in as one user; every call must answer the status it expects."""

    def __init__(self, client: Any, username: str) -> None:
        answer = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
        if answer.status_code != 200:
            raise RuntimeError(f"sign-in of {username}: {answer.status_code} {answer.json}")
        self.client, self.token = client, answer.json["token"]

    def post(self, url: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
        answer = self.client.post(url, json=body, headers={"Authorization": f"Bearer {self.token}"})
        if answer.status_code != status:
            raise RuntimeError(f"POST {url}: {answer.status_code} {answer.json}")
        return answer.json

    def get(self, url: str) -> bytes:
        answer = self.client.get(url, headers={"Authorization": f"Bearer {self.token}"})
        if answer.status_code != 200:
            raise RuntimeError(f"GET {url}: {answer.status_code}")
        return answer.data


def _iso(delta: dt.timedelta) -> str:
    return (dt.datetime.now(dt.UTC) + delta).isoformat()


def _released_lot(gmp: _Client, qa: _Client, lot_number: str, material: str, containers: int) -> list[str]:
    body = {
        "lot_number": lot_number, "material": material, "manufactured_at": _iso(-dt.timedelta(days=3)),
        "expires_at": _iso(dt.timedelta(days=365)), "container_count": containers,
        "volume_ml_per_container": 20 if material == "ucmsc" else 100,
    }  # fmt: skip
    if material == "ucmsc":
        body["cells_per_container"] = 1.5e8
    lot = gmp.post("/api/v1/lots", body)
    for test, value in PASSING[material].items():
        gmp.post(f"/api/v1/lots/{lot_number}/qc-results", {"test": test, "value": value})
    qa.post(f"/api/v1/lots/{lot_number}/release", {"password": PASSWORD, "meaning": "QA release"}, 200)
    return [c["container_id"] for c in lot["containers"]]


def seed_ward(database_url: str, bags: int = 4) -> SeededWard:
    """Users, released lots, a list, enrolled participants and `bags` bags prepared, dispatched and received:
    every step through the app's services and API, as a site would have done it."""
    app = create_app(app_config(database_url, AUTO_MIGRATE=True))
    client = app.test_client()
    with app.app_context():
        actors = {
            role: create_user(uow(), SYSTEM, f"bench_{role}", role, PASSWORD, f"Bench {role.title()}")
            for role in ("gmp", "qa", "pharmacist", "nurse", "investigator", "statistician")
        }
        rows = [("R" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6)), ("active", "placebo")[i % 2])
                for i in range(bags)]  # fmt: skip
        csv = "randomization_code,stratum,arm\n" + "".join(f"{code},A,{arm}\n" for code, arm in rows)
        import_list(uow(), actors["statistician"], csv.encode())
    gmp, qa, pharmacist, nurse, investigator = (
        _Client(client, f"bench_{role}") for role in ("gmp", "qa", "pharmacist", "nurse", "investigator")
    )
    cells = _released_lot(gmp, qa, CELL_LOT, "ucmsc", bags)
    vehicle = _released_lot(gmp, qa, VEHICLE_LOT, "placebo", bags)
    # Containers reach the pharmacy only in kits of one cell and one vehicle container.
    kits = [cid for pair in zip(cells, vehicle, strict=True) for cid in pair]
    gmp.post("/api/v1/containers/issue", {"container_ids": kits, "location": "Pharmacy"})
    seeded = SeededWard(nurse.token, [], [])
    for i, (code, arm) in enumerate(rows):
        participant_id = f"P-{i + 1:04d}"
        enrolled = investigator.post(
            "/api/v1/participants", {"participant_id": participant_id, "stratum": "A"}
        )
        if enrolled["randomization_code"] != code:
            raise RuntimeError("enrolment did not take the list's next code")
        if arm == "active":
            thaw = pharmacist.post("/api/v1/thaws", {
                "container_id": cells[i], "viable_cells_per_ml": 5e6, "viability_percent": 85,
                "volume_ml": 20,
            })  # fmt: skip
            body = {"thaw_id": thaw["thaw_id"], "drawn_volume_ml": 20}
        else:
            body = {"placebo_lot": VEHICLE_LOT}
        bag = pharmacist.post("/api/v1/doses", {"randomization_code": code, "final_volume_ml": 100, **body})
        pharmacist.get(f"/api/v1/bags/{bag['bag_id']}/label.pdf")  # a bag leaves with its label printed
        pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/handoffs", {"action": "dispatch", "location": WARD})
        receipt = {"action": "receive", "location": WARD, "temperature_c": 5.0, "seal_intact": True}
        nurse.post(f"/api/v1/bags/{bag['bag_id']}/handoffs", receipt)
        check = nurse.post(
            "/api/v1/scans", {"qr_payload": bag["qr_payload"], "participant_id": participant_id}, 200
        )
        if not check["match"]:
            raise RuntimeError("a received bag did not scan as a match")
        seeded.bags.append((bag["qr_payload"], participant_id))
    with app.app_context(), uow(write=False) as work:
        seeded.bag_pks = list(work.session.execute(select(Bag.id).order_by(Bag.id)).scalars())
    app.extensions["tracker"].engine.dispose()
    return seeded


def seed_history(engine: Engine, bags: int, events: int, batch: int = 10_000) -> None:
    """Years of a trial by bulk insert: `bags` infused bags with their codes, participants, infusions and one
    scan each, and `events` audit events after the existing chain. The bulk events are not a valid chain
    (the growth figure measures the scan path, not verification), but the chain head is moved to the last of
    them so that the app's next event continues from there."""
    now = dt.datetime.now(dt.UTC)
    started = now - dt.timedelta(days=3 * 365)
    with engine.connect().execution_options(write=True) as conn:
        list_id = conn.execute(
            insert(RandomizationList).returning(RandomizationList.id),
            {"source": "imported", "salt": "0" * 64, "commitment": secrets.token_hex(32), "code_count": bags,
             "created_at": started, "created_by": "bench_statistician"},
        ).scalar_one()  # fmt: skip
        first_code = conn.execute(select(func.coalesce(func.max(RandomizationCode.id), 0))).scalar_one() + 1
        first_bag = conn.execute(select(func.coalesce(func.max(Bag.id), 0))).scalar_one() + 1
        for start in range(0, bags, batch):
            numbers = range(start, min(start + batch, bags))
            codes = [f"Z{n:07d}" for n in numbers]
            pids = [f"H-{n:07d}" for n in numbers]
            times = [started + dt.timedelta(minutes=15 * n) for n in numbers]
            bag_ids = [new_bag_id() for _ in numbers]
            conn.execute(insert(RandomizationCode), [
                {"id": first_code + n, "code": c, "list_id": list_id, "position": n + 1,
                 "stratum": "ABCDE"[n % 5]}
                for n, c in zip(numbers, codes, strict=True)
            ])  # fmt: skip
            conn.execute(insert(Participant), [
                {"participant_id": p, "stratum": "ABCDE"[n % 5], "randomization_code": c, "randomized_at": t,
                 "enrolled_by": "bench_investigator"}
                for n, p, c, t in zip(numbers, pids, codes, times, strict=True)
            ])  # fmt: skip
            conn.execute(insert(Bag), [
                {"id": first_bag + n, "bag_id": b, "randomization_code": c, "participant_id": p,
                 "qr_payload": make_payload(b, QR_KEY), "final_volume_ml": 100.0, "prepared_at": t,
                 "use_by": t + dt.timedelta(hours=2), "prepared_by": "bench_pharmacist", "status": "infused",
                 "quarantined": False, "location": WARD, "print_count": 1}
                for n, b, c, p, t in zip(numbers, bag_ids, codes, pids, times, strict=True)
            ])  # fmt: skip
            conn.execute(insert(Scan), [
                {"scan_id": f"S{n:011d}", "bag_pk": first_bag + n, "scanned_bag_id": b, "participant_id": p,
                 "result": "match", "at": t + dt.timedelta(minutes=30), "username": "bench_nurse",
                 "role": "nurse"}
                for n, b, p, t in zip(numbers, bag_ids, pids, times, strict=True)
            ])  # fmt: skip
            conn.execute(insert(Infusion), [
                {"infusion_id": f"I{n:09d}", "bag_pk": first_bag + n, "participant_id": p,
                 "started_at": t + dt.timedelta(minutes=35), "started_by": "bench_nurse",
                 "completed_at": t + dt.timedelta(minutes=95), "completed_by": "bench_nurse",
                 "volume_infused_ml": 100.0, "recorded_at": t + dt.timedelta(minutes=35)}
                for n, p, t in zip(numbers, pids, times, strict=True)
            ])  # fmt: skip
        conn.commit()
    _bulk_audit_events(engine, events, started, now)


# Years of audit events, generated by the database itself in one INSERT ... SELECT (rows built in Python and
# sent by executemany took 15-20 s for 500,000 here, too slow for --quick): a mix of actions, unique hashes.
_EVENT_ROWS = {
    "postgresql": """
        INSERT INTO audit_event (seq, at, username, role, action, entity_type, entity_id, before, after,
                                 reason, seal, prev_hash, hash, canonical)
        SELECT :head + n,
               CAST(:start AS TIMESTAMP) + n * :step * INTERVAL '1 second',
               (ARRAY['bench_nurse', 'bench_nurse', 'bench_pharmacist', 'bench_nurse'])[n % 4 + 1],
               (ARRAY['nurse', 'nurse', 'pharmacist', 'nurse'])[n % 4 + 1],
               (ARRAY['scan', 'receive', 'prepare', 'start'])[n % 4 + 1],
               (ARRAY['scan', 'bag', 'bag', 'infusion'])[n % 4 + 1],
               'X' || lpad(n::text, 11, '0'),
               CAST('{"status": "dispatched"}' AS JSON),
               json_build_object('result', 'match',
                                 'participant_id', 'H-' || lpad((n % 100000)::text, 7, '0')),
               NULL,
               lpad(to_hex(:head + n), 64, 'f'),
               CASE WHEN n = 1 THEN :prev ELSE lpad(to_hex(:head + n - 1), 64, '0') END,
               lpad(to_hex(:head + n), 64, '0'),
               convert_to('{"bench": "bulk-seeded history", "seq": ' || (:head + n) || '}', 'UTF8')
        FROM generate_series(1, :count) AS n
    """,
    "sqlite": """
        INSERT INTO audit_event (seq, at, username, role, action, entity_type, entity_id, before, after,
                                 reason, seal, prev_hash, hash, canonical)
        WITH RECURSIVE numbers(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM numbers WHERE n < :count)
        SELECT :head + n,
               strftime('%Y-%m-%d %H:%M:%S.000000', :start, '+' || CAST(n * :step AS INTEGER) || ' seconds'),
               CASE n % 4 WHEN 2 THEN 'bench_pharmacist' ELSE 'bench_nurse' END,
               CASE n % 4 WHEN 2 THEN 'pharmacist' ELSE 'nurse' END,
               CASE n % 4 WHEN 0 THEN 'scan' WHEN 1 THEN 'receive' WHEN 2 THEN 'prepare' ELSE 'start' END,
               CASE n % 4 WHEN 0 THEN 'scan' WHEN 3 THEN 'infusion' ELSE 'bag' END,
               printf('X%011d', n),
               '{"status": "dispatched"}',
               json_object('result', 'match', 'participant_id', printf('H-%07d', n % 100000)),
               NULL,
               printf('%064x', :head + n),
               CASE WHEN n = 1 THEN :prev ELSE printf('%064x', :head + n - 1) END,
               printf('%064x', :head + n),
               CAST('{"bench": "bulk-seeded history", "seq": ' || (:head + n) || '}' AS BLOB)
        FROM numbers
    """,
}


def _bulk_audit_events(engine: Engine, count: int, start: dt.datetime, end: dt.datetime) -> None:
    with engine.connect().execution_options(write=True) as conn:
        head_seq, head_hash = conn.execute(
            select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
        ).one()
        params = {
            "head": head_seq, "prev": head_hash, "count": count,
            "start": start.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds"),
            "step": (end - start).total_seconds() / max(count, 1),
        }  # fmt: skip
        conn.execute(text(_EVENT_ROWS[engine.dialect.name]), params)
        last = f"{head_seq + count:064x}" if count else head_hash
        conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=head_seq + count, hash=last))
        conn.commit()
