"""Sixty-four requests at once, each on its own thread with its own test client (or its own unit of work),
released together by a barrier: no code is handed out twice, a lot is signed once, the audit chain stays one
unbroken chain. Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL. No assertion depends on timing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select, text

from tests.conftest import PASSWORD
from tests.integration.randomization_support import import_list, list_rows
from tests.lots_support import passing_lot
from tracker.audit.models import AuditEvent
from tracker.audit.services import record_event
from tracker.audit.verification import verify_chain
from tracker.lots.models import LotSignature
from tracker.roles import SYSTEM
from tracker.web.context import reader, uow

THREADS = 64


def run_together(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Start `count` threads that wait at one barrier, then call work(n); every result, or the exception."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(n: int) -> None:
        try:
            barrier.wait()
            results[n] = work(n)
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)  # a liveness guard against a hung run, not a timing assertion
    assert not any(thread.is_alive() for thread in threads), "a thread never finished"
    return results


def _post_as(app: Any, token: str, url: str, body: dict) -> tuple[int, dict]:
    response = app.test_client().post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.json


def _enrolment_order(app: Any) -> list[str]:
    """Participants in the order their enrolments committed: the audit chain's order."""
    with app.app_context(), reader() as work:
        rows = work.session.execute(
            select(AuditEvent.after).where(AuditEvent.action == "enrol").order_by(AuditEvent.seq)
        ).scalars()
        return [row["randomization_code"] for row in rows]


def test_64_simultaneous_enrolments_in_one_stratum_get_64_distinct_codes_in_list_order(
    app, runner, tmp_path, login
):
    loaded = list_rows(per_stratum=THREADS + 8, strata="C")
    import_list(runner, tmp_path, loaded)
    token = login("investigator").token
    answers = run_together(
        THREADS,
        lambda n: _post_as(
            app, token, "/api/v1/participants", {"participant_id": f"RACE-{n:02d}", "stratum": "C"}
        ),
    )
    assert [status for status, _ in answers] == [201] * THREADS, answers
    codes = [body["randomization_code"] for _, body in answers]
    list_order = [code for code, _, _ in loaded]
    assert len(set(codes)) == THREADS
    assert _enrolment_order(app) == list_order[:THREADS]
    assert set(codes) == set(list_order[:THREADS])


def test_64_simultaneous_enrolments_for_40_codes_give_40_winners_and_clean_409s(app, runner, tmp_path, login):
    loaded = list_rows(per_stratum=40, strata="D")
    import_list(runner, tmp_path, loaded)
    token = login("investigator").token
    answers = run_together(
        THREADS,
        lambda n: _post_as(
            app, token, "/api/v1/participants", {"participant_id": f"RUSH-{n:02d}", "stratum": "D"}
        ),
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 40 + [409] * (THREADS - 40), answers
    for status, body in answers:
        if status == 409:
            assert body == {
                "error": {"code": "stratum_exhausted", "message": body["error"]["message"], "details": {}}
            }
    assert _enrolment_order(app) == [code for code, _, _ in loaded]


def test_64_simultaneous_releases_of_one_lot_give_one_200_and_one_signature(app, login):
    passing_lot(login("gmp"), "UC-0064")
    token = login("qa").token
    answers = run_together(
        THREADS,
        lambda n: _post_as(
            app, token, "/api/v1/lots/UC-0064/release", {"password": PASSWORD, "meaning": f"signer {n}"}
        ),
    )
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (THREADS - 1), answers
    # The losers read the lot after the winner committed (row lock), or hit the one-signature constraint.
    assert {body["error"]["code"] for status, body in answers if status == 409} <= {
        "already_released",
        "already_signed",
    }
    with app.app_context(), reader() as work:
        signatures = [
            (s.action, s.meaning) for s in work.session.execute(select(LotSignature)).scalars().all()
        ]
        releases = work.session.execute(
            select(func.count()).where(AuditEvent.action == "release", AuditEvent.entity_id == "UC-0064")
        ).scalar_one()
        assert verify_chain(work.session).ok
    winner = next(body for status, body in answers if status == 200)
    assert signatures == [("release", winner["meaning"])]
    assert releases == 1


def test_64_simultaneous_audit_writers_leave_one_unbroken_chain(app, runner):
    per_thread = 5

    def write(n: int) -> int:
        with app.app_context():
            for i in range(per_thread):
                with uow() as work:
                    record_event(work.session, SYSTEM, "test", "user", f"w{n}-{i}", after={"i": i})
                    work.commit()
        return n

    results = run_together(THREADS, write)
    assert results == list(range(THREADS)), [r for r in results if isinstance(r, Exception)][:3]
    with app.app_context(), reader() as work:
        result = verify_chain(work.session)
        seqs = work.session.execute(text("SELECT seq FROM audit_event ORDER BY seq")).scalars().all()
        written = work.session.execute(select(func.count()).where(AuditEvent.action == "test")).scalar_one()
    assert result.ok, result
    assert seqs == list(range(1, len(seqs) + 1))
    assert written == THREADS * per_thread
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
