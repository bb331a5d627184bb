"""The audit trail as a blinded reader holds it: every event verifiable, no gaps, no oracle; and `audit
verify` still proving everything, the sealed facts and the unblinded chain included."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import text

from tests.audit_support import tamper
from tests.pharmacy_support import build_trial


def _canonical(event: dict) -> bytes:
    """The documented canonical encoding (docs/audit-trail.md), rebuilt from the API's answer alone."""
    fields = {k: event[k] for k in ("seq", "at", "user", "role", "action", "entity_type", "entity_id")}
    fields |= {k: event[k] for k in ("before", "after", "reason", "seal", "prev_hash")}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _whole_trail(reader, limit: int = 7) -> list[dict]:
    events, after = [], 0
    while True:
        page = reader.get("/api/v1/audit", query_string={"after_seq": after, "limit": limit}).json
        events += page["events"]
        if page["next_after_seq"] is None:
            return events
        after = page["next_after_seq"]


@pytest.fixture
def trial(login, runner, tmp_path):
    trial = build_trial(login, runner, tmp_path, per_arm=2)
    for _, (code, arm) in trial.participants.items():
        trial.prepare(code, arm)
    return trial


def test_a_blinded_reader_verifies_every_event_and_finds_no_gap(trial, login, runner):
    for role in ("qa", "admin"):
        events = _whole_trail(login(role))
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        previous = "0" * 64
        for event in events:
            assert event["prev_hash"] == previous, event["seq"]
            assert hashlib.sha256(_canonical(event)).hexdigest() == event["hash"], event["seq"]
            previous = event["hash"]
        assert not any(e["entity_type"] == "thaw" for e in events)
        assert {e["action"] for e in events if e["entity_type"] == "bag"} == {"prepare"}
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    # Two active bags took two thaws: recorded, verified, and in no blinded reader's view.
    assert "and 2 in the unblinded chain" in result.output


def test_preparation_events_of_both_arms_have_one_shape_and_one_time(trial, login):
    qa = login("qa")
    prepared = [e for e in _whole_trail(qa) if e["action"] == "prepare"]
    assert len(prepared) == 4
    assert len({tuple(sorted(e["after"])) for e in prepared}) == 1
    for event in prepared:
        assert event["after"]["prepared_at"] == event["at"]
        assert not {"material", "lot_number", "container_id", "thaw_id", "dose_viable_cells"} & set(
            event["after"]
        )
        custody = qa.get(f"/api/v1/bags/{event['entity_id']}/custody").json["events"]
        assert custody[0]["action"] == "prepare"
        assert custody[0]["at"] == event["at"]


def test_a_seal_cannot_be_tested_against_a_guess_of_what_it_hides(trial, login, app):
    """The test knows the truth (it reads the unblinded record); even the exact sealed bytes do not give the
    seal without the secret salt, and with the salt they do."""
    qa = login("qa")
    prepared = [e for e in _whole_trail(qa) if e["action"] == "prepare"]
    engine = app.extensions["tracker"].engine
    with engine.connect() as conn:
        for event in prepared:
            salt, sealed = conn.execute(
                text("SELECT salt, canonical FROM audit_seal WHERE seq = :s"), {"s": event["seq"]}
            ).one()
            salt, sealed = bytes(salt), bytes(sealed)
            assert len(salt) >= 16
            assert b'"material"' in sealed
            assert hashlib.sha256(sealed).hexdigest() != event["seal"]
            assert hmac.new(b"", sealed, hashlib.sha256).hexdigest() != event["seal"]
            assert hmac.new(salt, sealed, hashlib.sha256).hexdigest() == event["seal"]
            # And the event's own hash is over what the reader sees: no hidden field is inside it.
            assert hashlib.sha256(_canonical(event)).hexdigest() == event["hash"]
    assert len({e["seal"] for e in prepared}) == len(prepared)


def test_events_without_unblinded_facts_are_sealed_too(login, make_user):
    qa = login("qa")
    make_user("nurse")
    events = _whole_trail(qa)
    assert all(len(e["seal"]) == 64 for e in events)
    assert len({e["seal"] for e in events}) == len(events)


def test_the_pharmacist_reads_the_unblinded_chain_and_blinded_roles_may_not(trial, login):
    chain = trial.pharmacist.get("/api/v1/audit/unblinded").json["events"]
    assert [e["action"] for e in chain] == ["thaw", "thaw"]
    assert [e["seq"] for e in chain] == [1, 2]
    assert all(e["after"]["thaw_id"] == e["entity_id"] for e in chain)
    for role in ("qa", "admin", "nurse", "gmp", "investigator"):
        assert login(role).get("/api/v1/audit/unblinded").status_code == 403


def _verify(runner):
    return runner.invoke(args=["audit", "verify"])


def test_changing_a_sealed_fact_is_caught(trial, app, runner, login):
    prepared = [e for e in _whole_trail(login("qa")) if e["action"] == "prepare"]
    seq = prepared[0]["seq"]
    engine = app.extensions["tracker"].engine
    with engine.connect() as conn:
        sealed = bytes(
            conn.execute(text("SELECT canonical FROM audit_seal WHERE seq = :s"), {"s": seq}).one()[0]
        )
    forged = (
        sealed.replace(b'"ucmsc"', b'"placebo"')
        if b'"ucmsc"' in sealed
        else sealed.replace(b'"placebo"', b'"ucmsc"')
    )
    tamper(app, "UPDATE audit_seal SET canonical = :c WHERE seq = :s", c=forged, s=seq)
    result = _verify(runner)
    assert result.exit_code != 0
    assert f"seq {seq} of the sealed chain" in result.output
    assert "seal does not open" in result.output


def test_changing_the_unblinded_chain_is_caught(trial, app, runner):
    tamper(app, "UPDATE audit_unblinded_event SET username = 'mallory' WHERE seq = 1")
    result = _verify(runner)
    assert result.exit_code != 0
    assert "seq 1 of the unblinded chain" in result.output


def test_cutting_the_unblinded_chain_back_is_caught_by_the_seals_that_name_it(trial, app, runner):
    # Remove the last thaw and move the unblinded head back, as someone with the database could: the seals
    # written after that thaw still name it.
    engine = app.extensions["tracker"].engine
    with engine.connect() as conn:
        seq, prev = conn.execute(
            text("SELECT seq, prev_hash FROM audit_unblinded_event ORDER BY seq DESC")
        ).first()
    tamper(
        app,
        "DELETE FROM audit_unblinded_event WHERE seq = :s",
        "UPDATE audit_head SET seq = :s - 1, hash = :p WHERE id = 2",
        s=seq,
        p=prev,
    )
    result = _verify(runner)
    assert result.exit_code != 0
    assert "unblinded chain" in result.output


def test_paging_to_the_end_reads_every_event(trial, login):
    qa = login("qa")
    everything = qa.get("/api/v1/audit", query_string={"limit": 5000}).json["events"]
    assert [e["seq"] for e in _whole_trail(qa, limit=3)] == [e["seq"] for e in everything]
