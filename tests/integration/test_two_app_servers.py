"""Two app servers on one PostgreSQL database, as a site with a standby app server runs: two gunicorn
instances (deploy/gunicorn.conf.py; one worker each, which keeps the start short: what is raced is two
processes with their own connection pools on one database) take the same enrolments at the same moment.
No code is handed out twice, a participant is enrolled once, and `audit verify` finds one unbroken chain.

PostgreSQL only (TEST_DATABASE_URL): on SQLite the app is one server's."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.integration.randomization_support import import_list, list_rows
from tests.serving_support import gunicorns, http, production_env
from tracker.audit.models import AuditEvent
from tracker.signing import generate_key_file
from tracker.web.context import reader

ENROLMENTS = 24  # distinct participants, half through each server
SAME = 6  # requests for one participant, three through each server


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


def test_two_servers_racing_the_same_enrolments_never_double_book(two_servers, app, runner, tmp_path, login):
    loaded = list_rows(per_stratum=ENROLMENTS + SAME, strata="C")
    import_list(runner, tmp_path, loaded)
    token = login("investigator").token
    headers = {"Authorization": f"Bearer {token}"}

    def enrol(server: str, participant: str):  # noqa: ANN202
        return lambda: http(
            "POST", f"{server}/api/v1/participants", {"participant_id": participant, "stratum": "C"}, headers
        )

    calls = [enrol(two_servers[n % 2], f"RACE-{n:02d}") for n in range(ENROLMENTS)]
    calls += [enrol(two_servers[n % 2], "RACE-SAME") for n in range(SAME)]
    answers = _together(calls)

    distinct, same = answers[:ENROLMENTS], answers[ENROLMENTS:]
    assert [status for status, _, _ in distinct] == [201] * ENROLMENTS, distinct
    assert sorted(status for status, _, _ in same) == [201] + [409] * (SAME - 1), same
    codes = [body["randomization_code"] for status, _, body in answers if status == 201]
    assert len(codes) == len(set(codes)) == ENROLMENTS + 1  # no code handed out twice

    with app.app_context(), reader() as work:
        enrolled = work.session.execute(
            select(AuditEvent.after).where(AuditEvent.action == "enrol").order_by(AuditEvent.seq)
        ).scalars()
        in_chain_order = [row["randomization_code"] for row in enrolled]
    # One event per enrolment, in the one chain, taking the list's codes in its order (none skipped).
    assert sorted(in_chain_order) == sorted(codes)
    assert in_chain_order == [code for code, _, _ in loaded][: ENROLMENTS + 1]
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "Audit chain intact" in verified.output
