"""Faults: a server killed in the middle of preparing a bag leaves nothing behind (the transaction is all or
nothing, audit event included), and a database that drops every connection answers 503 cleanly, then works."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import func, select, text

from tests.pharmacy_support import build_trial
from tracker.audit.models import AuditEvent
from tracker.audit.verification import verify_chain
from tracker.pharmacy.models import Bag
from tracker.web.context import reader

# Prepares a bag through the API in a separate process that stops, forever, right after the preparation's
# audit event is written and before its commit, and says so on stdout.
_STALLED_PREPARATION = textwrap.dedent(
    """
    import json, os, sys, time
    import tracker.pharmacy.preparation as preparation
    from tracker import create_app

    real = preparation.record_event
    def record_then_stall(*args, **kwargs):
        event = real(*args, **kwargs)
        if args[2] == "prepare":
            print("STALLED", flush=True)
            time.sleep(600)
        return event
    preparation.record_event = record_then_stall

    app = create_app({"DATABASE_URL": os.environ["DB"], "AUTO_MIGRATE": False, "TESTING": True,
                      "SECRET_KEY": "x", "QR_SIGNING_KEY": "test-qr-signing-key"})
    app.test_client().post("/api/v1/doses", json=json.loads(os.environ["BODY"]),
                           headers={"Authorization": "Bearer " + os.environ["TOKEN"]})
    print("FINISHED", flush=True)
    """
)


def _counts(app):
    with app.app_context(), reader() as work:
        bags = work.session.execute(select(func.count()).select_from(Bag)).scalar_one()
        events = work.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
        return bags, events


def test_a_server_killed_while_preparing_a_bag_leaves_neither_the_bag_nor_its_audit_event(
    app, login, runner, tmp_path
):
    trial = build_trial(login, runner, tmp_path)
    _, code = trial.of_arm("placebo")[0]
    before = _counts(app)
    env = {
        **os.environ,
        "DB": app.config["DATABASE_URL"],
        "TOKEN": trial.pharmacist.token,
        "BODY": f'{{"randomization_code": "{code}", "placebo_lot": "VEH-0001", "final_volume_ml": 100}}',
    }
    with subprocess.Popen(  # noqa: S603 - our own interpreter running our own script
        [sys.executable, "-c", _STALLED_PREPARATION], env=env, stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout.readline().strip() == "STALLED"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL

    assert _counts(app) == before
    with app.app_context(), reader() as work:
        assert verify_chain(work.session).ok
    # The code is free: the pharmacist prepares its bag now, and the chain takes the new event.
    assert trial.prepare_placebo(code).status_code == 201
    with app.app_context(), reader() as work:
        assert verify_chain(work.session).ok


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="a database server to restart: PostgreSQL runs only"
)
def test_when_the_database_drops_every_connection_requests_fail_cleanly_then_succeed(app, login):
    nurse = login("nurse")
    engine = app.extensions["tracker"].engine
    with engine.connect() as hold:
        # A request whose connection dies under it: hold a checked-out connection and kill it mid-use.
        hold.execute(text("SELECT 1"))
        with engine.connect() as admin:
            admin.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            admin.commit()
        with pytest.raises(Exception):  # noqa: B017, PT011 - the driver's own error for a dead connection
            hold.execute(text("SELECT 1"))
    answers = [nurse.get("/api/v1/bags/B2222222222L") for _ in range(3)]
    # Each answer is one the contract knows: the pool reconnects (pre-ping) or the request is refused cleanly.
    for response in answers:
        assert response.status_code in (404, 503), response.json
        assert response.json["error"]["code"] in ("bag_not_found", "database_unavailable")
    assert answers[-1].status_code == 404
