"""Two app servers on one PostgreSQL database, as a site with a standby app server runs: two gunicorn
instances (deploy/gunicorn.conf.py; one worker each, which keeps the start short: what is raced is two
processes with their own connection pools on one database) take the same enrolments and the same dose
preparations at the same moment, then start and end the same infusions. No code is handed out twice, a
participant is enrolled once, a code gets one live bag, a bag one infusion ended once, and `audit verify`
finds one unbroken chain.

PostgreSQL only (TEST_DATABASE_URL): on SQLite the app is one server's."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.integration.randomization_support import import_list, list_rows
from tests.pharmacy_support import VEHICLE_LOT, build_trial, iso
from tests.serving_support import gunicorns, http, production_env
from tests.ward_support import move
from tracker.audit.models import AuditEvent
from tracker.pharmacy.models import Bag
from tracker.signing import generate_key_file
from tracker.ward.models import Infusion
from tracker.web.context import reader

ENROLMENTS = 24  # distinct participants, half through each server
SAME = 6  # requests for one participant, three through each server
DOSE_TRIES = 4  # requests for one code's dose, two through each server


def _together(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        results[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)  # a guard against a hung run, not a timing assertion
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def two_servers(database_url: str, app: Any, tmp_path: Path):  # noqa: ARG001 - app empties the tables after
    if not database_url.startswith("postgresql"):
        pytest.skip("two app servers share a PostgreSQL database: set TEST_DATABASE_URL")
    generate_key_file(tmp_path / "audit-signing.pem")
    env = production_env(database_url, tmp_path / "audit-signing.pem")
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with gunicorns([env, env], logs, workers=1) as bases:
        yield bases


def test_two_servers_racing_the_same_enrolments_doses_and_infusions_never_double_book(
    two_servers, app, runner, tmp_path, login
):
    trial = build_trial(login, runner, tmp_path, per_arm=2, kits=4)  # stratum A: two of each arm, enrolled
    loaded = list_rows(per_stratum=ENROLMENTS + SAME, strata="C")
    import_list(runner, tmp_path, loaded)
    token = login("investigator").token
    headers = {"Authorization": f"Bearer {token}"}
    pharmacist = {"Authorization": f"Bearer {trial.pharmacist.token}"}

    def prepare(server: str, body: dict):  # noqa: ANN202
        return lambda: http("POST", f"{server}/api/v1/doses", body, pharmacist)

    def enrol(server: str, participant: str):  # noqa: ANN202
        return lambda: http(
            "POST", f"{server}/api/v1/participants", {"participant_id": participant, "stratum": "C"}, headers
        )

    doses = []
    for _, (code, arm) in trial.participants.items():
        body = {"randomization_code": code, "final_volume_ml": 100, "placebo_lot": VEHICLE_LOT}
        if arm == "active":
            body = {"randomization_code": code, "thaw_id": trial.thaw()["thaw_id"], "drawn_volume_ml": 20,
                    "final_volume_ml": 100}  # fmt: skip
        doses += [prepare(two_servers[n % 2], body) for n in range(DOSE_TRIES)]
    calls = [enrol(two_servers[n % 2], f"RACE-{n:02d}") for n in range(ENROLMENTS)]
    calls += [enrol(two_servers[n % 2], "RACE-SAME") for n in range(SAME)]
    answers = _together(calls + doses)
    answers, prepared = answers[: len(calls)], answers[len(calls) :]

    distinct, same = answers[:ENROLMENTS], answers[ENROLMENTS:]
    assert [status for status, _, _ in distinct] == [201] * ENROLMENTS, distinct
    assert sorted(status for status, _, _ in same) == [201] + [409] * (SAME - 1), same
    codes = [body["randomization_code"] for status, _, body in answers if status == 201]
    assert len(codes) == len(set(codes)) == ENROLMENTS + 1  # no code handed out twice

    # Each code's dose prepared once: one bag, the other tries told a live bag exists.
    for n in range(len(trial.participants)):
        tries = prepared[n * DOSE_TRIES : (n + 1) * DOSE_TRIES]
        assert sorted(status for status, _, _ in tries) == [201] + [409] * (DOSE_TRIES - 1), tries
        assert {body["error"]["code"] for status, _, body in tries if status == 409} == {"live_bag_exists"}

    # Each bag on the ward, then its infusion started through both servers at once, and ended likewise.
    nurse = {"Authorization": f"Bearer {trial.nurse.token}"}
    bags = {}  # bag_id -> participant_id
    for n, participant_id in enumerate(trial.participants):
        tries = prepared[n * DOSE_TRIES : (n + 1) * DOSE_TRIES]
        (bag,) = [body for status, _, body in tries if status == 201]
        move(trial, bag["bag_id"], "dispatch", "receive")
        bags[bag["bag_id"]] = participant_id

    def start(server: str, bag_id: str):  # noqa: ANN202
        body = {"bag_id": bag_id, "participant_id": bags[bag_id]}
        return lambda: http("POST", f"{server}/api/v1/infusions", body, nurse)

    started = _together([start(two_servers[n % 2], bag_id) for bag_id in bags for n in range(DOSE_TRIES)])
    infusions = []
    for n in range(len(bags)):
        tries = started[n * DOSE_TRIES : (n + 1) * DOSE_TRIES]
        assert sorted(status for status, _, _ in tries) == [201] + [409] * (DOSE_TRIES - 1), tries
        assert {body["error"]["code"] for status, _, body in tries if status == 409} == {"already_infused"}
        infusions += [body["infusion_id"] for status, _, body in tries if status == 201]

    def end(server: str, infusion_id: str):  # noqa: ANN202
        body = {"completed_at": iso(), "volume_infused_ml": 100}
        return lambda: http("PATCH", f"{server}/api/v1/infusions/{infusion_id}", body, nurse)

    ended = _together([end(two_servers[n % 2], i) for i in infusions for n in range(DOSE_TRIES)])
    for n in range(len(infusions)):
        tries = ended[n * DOSE_TRIES : (n + 1) * DOSE_TRIES]
        assert sorted(status for status, _, _ in tries) == [200] + [409] * (DOSE_TRIES - 1), tries
        assert {body["error"]["code"] for status, _, body in tries if status == 409} == {"infusion_completed"}

    with app.app_context(), reader() as work:
        enrolled = work.session.execute(
            select(AuditEvent.after).where(AuditEvent.action == "enrol").order_by(AuditEvent.seq)
        ).scalars()
        raced = {code for code, _, _ in loaded}  # stratum C's list (the trial's own enrolments are stratum A)
        in_chain_order = [row["randomization_code"] for row in enrolled if row["randomization_code"] in raced]
        infused = select(Bag.bag_id, Infusion.completed_at).join(Bag, Infusion.bag_pk == Bag.id)
        recorded = work.session.execute(infused).all()
        events = (
            work.session.execute(select(AuditEvent.action).where(AuditEvent.entity_type == "infusion"))
            .scalars()
            .all()
        )
    # One infusion per bag, ended once; one audit event for each start and each end.
    assert sorted(bag for bag, _ in recorded) == sorted(bags)
    assert all(completed is not None for _, completed in recorded)
    assert len(events) == 2 * len(bags), events
    # One event per enrolment, in the one chain, taking the list's codes in its order (none skipped).
    assert sorted(in_chain_order) == sorted(codes)
    assert in_chain_order == [code for code, _, _ in loaded][: ENROLMENTS + 1]
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "Audit chain intact" in verified.output
