"""The audit chain: one event per write, tamper evidence, and no fork under concurrent writers."""

import threading

from sqlalchemy import text

from tests.audit_support import tamper
from tests.pdf_support import pdf_text
from tracker.audit.services import record_event
from tracker.audit.verification import verify_chain
from tracker.roles import SYSTEM
from tracker.web.context import reader, uow


def _verify(runner):
    return runner.invoke(args=["audit", "verify"])


def test_each_write_leaves_exactly_one_event(login, make_user):
    qa = login("qa")
    before = len(qa.get("/api/v1/audit").json["events"])
    make_user("nurse", "nurse_one")
    events = qa.get("/api/v1/audit").json["events"]
    assert len(events) == before + 1
    last = events[-1]
    assert (last["action"], last["entity"], last["user"]) == (
        "create",
        {"type": "user", "id": "nurse_one"},
        "system",
    )
    assert last["after"]["role"] == "nurse"
    assert len(last["hash"]) == 64


def test_an_intact_chain_verifies(runner, make_user):
    make_user("qa")
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_editing_a_column_is_caught_with_its_seq(app, runner, make_user):
    for role in ("qa", "nurse", "gmp"):
        make_user(role)
    tamper(app, "UPDATE audit_event SET username = 'mallory' WHERE seq = 3")
    result = _verify(runner)
    assert result.exit_code != 0
    assert "seq 3" in result.output


def test_editing_the_hashed_bytes_is_caught(app, runner, make_user):
    for role in ("qa", "nurse"):
        make_user(role)
    with app.app_context(), reader() as work:
        original = work.session.execute(text("SELECT canonical FROM audit_event WHERE seq = 2")).scalar_one()
    forged = bytes(original).replace(b'"create"', b'"delete"')
    assert forged != bytes(original)
    engine = app.extensions["tracker"].engine
    with engine.connect().execution_options(write=True) as conn:
        conn.execute(text("UPDATE audit_event SET canonical = :c WHERE seq = 2"), {"c": forged})
        conn.commit()
    result = _verify(runner)
    assert result.exit_code != 0
    assert "seq 2" in result.output


def test_deleting_a_middle_row_is_caught(app, runner, make_user):
    for role in ("qa", "nurse", "gmp"):
        make_user(role)
    tamper(app, "DELETE FROM audit_seal WHERE seq = 2", "DELETE FROM audit_event WHERE seq = 2")
    result = _verify(runner)
    assert result.exit_code != 0
    assert "seq 3" in result.output


def test_deleting_the_last_row_is_caught(app, runner, make_user):
    for role in ("qa", "nurse"):
        make_user(role)
    tamper(
        app,
        "DELETE FROM audit_seal WHERE seq = (SELECT MAX(seq) FROM audit_event)",
        "DELETE FROM audit_event WHERE seq = (SELECT MAX(seq) FROM audit_event)",
    )
    result = _verify(runner)
    assert result.exit_code != 0
    assert "BROKEN" in result.output


def test_sixteen_concurrent_writers_leave_one_unbroken_chain(app):
    per_thread, threads = 10, 16
    errors = []

    def write(n):
        try:
            with app.app_context():
                for i in range(per_thread):
                    with uow() as work:
                        record_event(work.session, SYSTEM, "test", "user", f"t{n}-{i}", after={"i": i})
                        work.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    with app.app_context(), reader() as work:
        result = verify_chain(work.session)
        seqs = work.session.execute(text("SELECT seq FROM audit_event ORDER BY seq")).scalars().all()
    assert result.ok, result
    assert seqs == list(range(1, len(seqs) + 1))
    assert result.events == len(seqs) >= threads * per_thread


def test_blinded_readers_never_see_hidden_keys_or_thaw_events(app, login):
    qa = login("qa")
    with app.app_context(), uow() as work:
        record_event(
            work.session, SYSTEM, "prepare", "bag", "B1", after={"arm": "active", "lot_number": "L1", "x": 1}
        )
        record_event(
            work.session, SYSTEM, "thaw", "thaw", "T1", after={"thawed_at": "2026-01-01T00:00:00+00:00"}
        )
        work.commit()
    events = qa.get("/api/v1/audit").json["events"]
    bag = next(e for e in events if e["entity_type"] == "bag")
    assert bag["after"] == {"x": 1}
    assert not any(e["entity_type"] == "thaw" for e in events)
    csv_text = qa.get("/api/v1/audit/export.csv").get_data(as_text=True)
    assert "active" not in csv_text
    assert "thawed_at" not in csv_text


def test_audit_pages_with_after_seq_and_limit(login, make_user):
    qa = login("qa")
    for role in ("nurse", "gmp", "pharmacist"):
        make_user(role)
    first = qa.get("/api/v1/audit", query_string={"limit": 2}).json
    assert [e["seq"] for e in first["events"]] == [1, 2]
    second = qa.get("/api/v1/audit", query_string={"limit": 2, "after_seq": first["next_after_seq"]}).json
    assert [e["seq"] for e in second["events"]] == [3, 4]


def test_the_export_carries_the_chain_head_and_a_header_row(login):
    qa = login("qa")
    response = qa.get("/api/v1/audit/export.csv")
    assert response.status_code == 200
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("seq,at,user,role,action")
    seq, _, digest = response.headers["X-Audit-Chain-Head"].partition(":")
    assert int(seq) == len(lines) - 1
    assert len(digest) == 64


def test_the_printable_trail_carries_its_events_and_provenance(login, make_user):
    qa = login("qa")
    make_user("nurse", "nurse_printed")
    response = qa.get("/api/v1/audit/export.pdf", query_string={"entity_type": "user"})
    text = pdf_text(response, sep="")
    assert "Audit trail" in text
    assert "nurse_printed" in text
    assert "generated" in text
    assert qa.username in text
    assert "audit chain head seq" in text
