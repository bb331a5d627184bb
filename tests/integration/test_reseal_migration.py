"""Migration 0011 on a database written by the first trail: the old rows are kept unchanged, every event is
written again into the sealed or the unblinded chain, and `audit verify` proves the correspondence."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from tests.audit_support import tamper
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tracker import create_app
from tracker.db import make_engine
from tracker.schema import alembic_config, migrate

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)

# What a site's first trail held: a user, a placebo bag's preparation with its unblinded facts in the clear
# (the hash was computed over them), a thaw, and a void whose reason names the contents.
FIRST_TRAIL = [
    ("system", "admin", "create", "user", "nurse1", None, {"role": "nurse"}, None),
    ("ph1", "pharmacist", "thaw", "thaw", "T1", None, {"thaw_id": "T1", "container_id": "C1"}, None),
    ("ph1", "pharmacist", "prepare", "bag", "B1", None,
     {"bag_id": "B1", "status": "prepared", "material": "placebo", "lot_number": "VEH-1",
      "container_id": "C2", "dose_viable_cells": 0.0}, None),
    ("ph1", "pharmacist", "void", "bag", "B1", {"status": "prepared"}, {"status": "voided"},
     "placebo bag dropped"),
]  # fmt: skip


def _hash_first_trail(events: list[tuple]) -> list[dict]:
    rows, prev = [], "0" * 64
    for seq, (user, role, action, etype, eid, before, after, reason) in enumerate(events, start=1):
        at = T0 + dt.timedelta(minutes=seq)
        fields = {
            "seq": seq, "at": at.isoformat(), "user": user, "role": role, "action": action,
            "entity_type": etype, "entity_id": eid, "before": before, "after": after, "reason": reason,
            "prev_hash": prev,
        }  # fmt: skip
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        digest = hashlib.sha256(canonical).hexdigest()
        rows.append(
            {"seq": seq, "at": at.replace(tzinfo=None), "username": user, "role": role, "action": action,
             "entity_type": etype, "entity_id": eid, "before": json.dumps(before) if before else None,
             "after": json.dumps(after) if after else None, "reason": reason, "prev_hash": prev,
             "hash": digest, "canonical": canonical}
        )  # fmt: skip
        prev = digest
    return rows


def _insert_events(conn, table_name: str, rows: list[dict]) -> None:
    table = sa.table(table_name, *(sa.column(name) for name in rows[0]))
    conn.execute(sa.insert(table), rows)


def _insert_first_trail(conn, rows: list[dict]) -> None:
    _insert_events(conn, "audit_event", rows)
    conn.execute(
        text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :s, :h)"),
        {"s": rows[-1]["seq"], "h": rows[-1]["hash"]},
    )


@pytest.fixture
def first_trail_database(tmp_path) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url, name = _create_postgres_database(base)
    else:
        url = f"sqlite:///{tmp_path / 'first-trail.db'}"
    engine = make_engine(url)
    with engine.connect().execution_options(write=True) as conn:
        command.upgrade(alembic_config(conn), "0009")
        _insert_first_trail(conn, _hash_first_trail(FIRST_TRAIL))
        conn.commit()
    migrate(engine)
    engine.dispose()
    yield url
    if base:
        _drop_postgres_database(base, name)


@pytest.fixture
def resealed(first_trail_database, tmp_path):
    app = create_app(
        {"DATABASE_URL": first_trail_database, "AUTO_MIGRATE": False, "TESTING": True,
         "SECRET_KEY": "k", "QR_SIGNING_KEY": "q"}
    )  # fmt: skip
    app.instance_path = str(tmp_path)
    yield app
    app.extensions["tracker"].engine.dispose()


def _blinded_trail(app) -> list[dict]:
    from tracker.audit.services import AuditFilter, list_events
    from tracker.roles import Actor
    from tracker.web.context import reader

    qa = Actor(user_id=1, username="qa1", full_name="QA", role="qa")
    with app.app_context(), reader() as work:
        return list_events(work.session, qa, AuditFilter())


def test_the_first_trail_is_kept_resealed_and_verified(resealed):
    result = resealed.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "4 events" in result.output  # three re-expressed, one reseal
    assert "1 in the unblinded chain" in result.output
    events = _blinded_trail(resealed)
    assert [(e["seq"], e["action"]) for e in events] == [
        (1, "create"), (2, "prepare"), (3, "void"), (4, "reseal"),
    ]  # fmt: skip
    assert events[0]["at"] == T0 + dt.timedelta(minutes=1)
    assert events[1]["after"] == {"bag_id": "B1", "status": "prepared"}
    assert events[2]["reason"] is None
    assert events[3]["after"] == {"archived_events": 4, "sealed_events": 3, "unblinded_events": 1}
    archived = [row[0] for row in _rows(resealed, "SELECT hash FROM audit_event_v1 ORDER BY seq")]
    shown = json.dumps([e["hash"] for e in events] + [e["seal"] for e in events])
    assert not any(digest in shown for digest in archived)


def _rows(app, sql, **params):
    engine = app.extensions["tracker"].engine
    with engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def test_an_edited_archived_event_is_caught(resealed):
    tamper(resealed, "UPDATE audit_event_v1 SET username = 'mallory' WHERE seq = 2")
    result = resealed.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert "seq 2 of the archived chain" in result.output


def test_a_rewritten_and_rehashed_archive_is_caught_by_the_reseal_event(resealed):
    forged = list(FIRST_TRAIL)
    forged[0] = ("system", "admin", "create", "user", "mallory", None, {"role": "admin"}, None)
    engine = resealed.extensions["tracker"].engine
    with engine.connect().execution_options(write=True) as conn:
        conn.execute(text("DELETE FROM audit_event_v1"))
        _insert_events(conn, "audit_event_v1", _hash_first_trail(forged))
        conn.commit()
    result = resealed.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert "does not name the archived trail's head" in result.output
