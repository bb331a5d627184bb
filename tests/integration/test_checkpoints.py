"""Signed checkpoints: the round trip docs/operations.md shows, and a chain cut back or rewritten after a
checkpoint (which the chain alone cannot show) caught by `audit verify --checkpoint`."""

from __future__ import annotations

import json
import stat
import threading

import orjson
from sqlalchemy import select, text

from tests.audit_support import tamper
from tracker.audit import rules
from tracker.notifications.models import Notification
from tracker.signing import generate_key_file
from tracker.web.context import reader


def _checkpoint(runner, tmp_path, name="cp.json"):
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    path = tmp_path / name
    path.write_text(result.stdout)
    return document, path


def _verify(runner, *paths):
    args = ["audit", "verify"]
    for path in paths:
        args += ["--checkpoint", str(path)]
    return runner.invoke(args=args)


def test_a_checkpoint_is_signed_recorded_and_held(runner, make_user, tmp_path, login):
    make_user("nurse")
    document, path = _checkpoint(runner, tmp_path)
    assert document["fingerprint"].startswith("SHA256:")
    assert len(document["hash"]) == 64
    events = login("qa").get("/api/v1/audit").json["events"]
    recorded = next(e for e in events if e["seq"] == document["seq"])
    assert (recorded["action"], recorded["hash"]) == ("checkpoint", document["hash"])
    make_user("gmp")  # the chain grows past the checkpoint: it still holds it
    result = _verify(runner, path)
    assert result.exit_code == 0, result.output
    assert f"held (seq {document['seq']}" in result.output


def test_the_sponsor_gets_each_checkpoint_through_the_outbox(app, runner, tmp_path):
    document, _ = _checkpoint(runner, tmp_path)
    with app.app_context(), reader() as work:
        ((audience, body),) = work.session.execute(
            select(Notification.audience, Notification.body).where(Notification.kind == "audit_checkpoint")
        ).all()
    assert audience == "sponsor"
    assert document["signature"] in body


def test_a_chain_cut_back_after_a_checkpoint_fails_it(app, runner, make_user, tmp_path):
    make_user("nurse")
    document, path = _checkpoint(runner, tmp_path)
    seq = document["seq"]
    # Remove the checkpoint's event and everything after, and move the head back: the chain is whole again.
    engine = app.extensions["tracker"].engine
    with engine.connect() as conn:
        prev = conn.execute(text("SELECT prev_hash FROM audit_event WHERE seq = :s"), {"s": seq}).scalar_one()
    tamper(
        app,
        "DELETE FROM audit_seal WHERE seq >= :s",
        "DELETE FROM audit_event WHERE seq >= :s",
        "UPDATE audit_head SET seq = :s - 1, hash = :p WHERE id = 1",
        s=seq,
        p=prev,
    )
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # the chain alone cannot tell
    result = _verify(runner, path)
    assert result.exit_code != 0
    assert "NOT HELD" in result.output
    assert "cut" in result.output


def _rewrite_from(app, first: int, username: str) -> None:
    """What someone with the database could do: change an event and recompute every hash after it."""
    engine = app.extensions["tracker"].engine
    with engine.connect().execution_options(write=True) as conn:
        rows = conn.execute(
            text("SELECT seq, canonical FROM audit_event WHERE seq >= :s ORDER BY seq"), {"s": first}
        ).all()
        prev = conn.execute(text("SELECT prev_hash FROM audit_event WHERE seq = :s"), {"s": first}).scalar()
        for seq, canonical in rows:
            fields = orjson.loads(bytes(canonical))
            if seq == first:
                fields["user"] = username
            fields["prev_hash"] = prev
            new = rules.canonical_bytes(fields)
            prev = rules.event_hash(new)
            conn.execute(
                text(
                    "UPDATE audit_event SET username = :u, prev_hash = :p, hash = :h, canonical = :c"
                    " WHERE seq = :s"
                ),
                {"u": fields["user"], "p": fields["prev_hash"], "h": prev, "c": new, "s": seq},
            )
        conn.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": prev})
        conn.commit()


def test_a_chain_rewritten_and_rehashed_fails_the_checkpoint(app, runner, make_user, tmp_path):
    make_user("nurse")
    make_user("gmp")
    _, path = _checkpoint(runner, tmp_path)
    _rewrite_from(app, 1, "mallory")
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # every hash recomputed: the chain agrees
    result = _verify(runner, path)
    assert result.exit_code != 0
    assert "rewritten" in result.output


def test_an_edited_checkpoint_file_is_refused(runner, make_user, tmp_path):
    make_user("nurse")
    document, path = _checkpoint(runner, tmp_path)
    document["seq"] -= 1
    path.write_text(json.dumps(document))
    result = _verify(runner, path)
    assert result.exit_code != 0
    assert "signature does not hold" in result.output


def test_a_checkpoint_signed_with_another_key_is_refused(app, runner, tmp_path):
    _, path = _checkpoint(runner, tmp_path)
    other = tmp_path / "other.pem"
    generate_key_file(other)
    app.config["AUDIT_SIGNING_KEY_FILE"] = str(other)
    result = _verify(runner, path)
    assert result.exit_code != 0
    assert "not this site's key" in result.output


def test_a_due_checkpoint_is_written_once_to_the_directory(app, runner, tmp_path):
    app.config["AUDIT_CHECKPOINT_DIR"] = str(tmp_path / "checkpoints")
    first = runner.invoke(args=["audit", "checkpoint", "--if-due"])
    assert first.exit_code == 0, first.output
    assert "Checkpoint written" in first.output
    second = runner.invoke(args=["audit", "checkpoint", "--if-due"])
    assert "No checkpoint due" in second.output
    files = list((tmp_path / "checkpoints").iterdir())
    assert len(files) == 1
    assert _verify(runner, files[0]).exit_code == 0


def test_keygen_writes_a_private_file_and_never_overwrites(runner, tmp_path):
    path = tmp_path / "keys" / "audit.pem"
    result = runner.invoke(args=["audit", "keygen", str(path)])
    assert result.exit_code == 0, result.output
    assert "SHA256:" in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    again = runner.invoke(args=["audit", "keygen", str(path)])
    assert again.exit_code != 0
    assert path.read_bytes() == before


def test_a_running_app_writes_a_due_checkpoint_by_itself(app, database_url, tmp_path):
    """No cron and nobody remembering: a request to a running app with AUDIT_CHECKPOINT_DIR set is enough.
    (`app` is asked for so that the tables are emptied after the test.)"""
    import time

    from tracker import create_app

    directory = tmp_path / "scheduled"
    running = create_app(
        {"DATABASE_URL": database_url, "AUTO_MIGRATE": False, "SECRET_KEY": "k", "QR_SIGNING_KEY": "q",
         "AUDIT_CHECKPOINT_DIR": str(directory)}
    )  # fmt: skip
    running.instance_path = str(tmp_path)
    try:
        assert running.test_client().get("/healthz").status_code == 200
        for _ in range(100):
            if directory.exists() and any(directory.iterdir()):
                break
            time.sleep(0.1)
        (written,) = directory.iterdir()
        assert json.loads(written.read_text())["format"].endswith("audit-checkpoint/1")
    finally:
        for thread in threading.enumerate():
            if thread.name == "audit-checkpoint":
                thread.join(10)
        running.extensions["tracker"].engine.dispose()
