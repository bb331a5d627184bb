"""GET /healthz: the database, the outbox backlog, the last audit checkpoint's age and (SQLite) the disk, as
"ok" or "degraded" without a token and without a secret."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tracker.db import utcnow
from tracker.notifications.services import queue_notification
from tracker.web.context import uow


def _queue(app, *, minutes_ago: float) -> None:
    with app.app_context(), uow() as work:
        note = queue_notification(work.session, "deviation", "sponsor", "subject", "body")
        note.created_at = utcnow() - dt.timedelta(minutes=minutes_ago)
        work.commit()


def test_a_quiet_site_is_ok_and_says_what_it_checked(client, database_url):
    body = client.get("/healthz").json
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["outbox"] == {"unsent": 0, "oldest_unsent_minutes": None, "mail": "off"}
    assert body["audit_checkpoint"] == {"last_at": None, "age_hours": None, "scheduled": False}
    assert "problems" not in body
    if database_url.startswith("sqlite"):
        assert body["disk"]["status"] == "ok"
        assert body["disk"]["free_mb"] > 0
    else:
        assert "disk" not in body  # PostgreSQL's own server watches its disk


def test_mail_stuck_in_the_outbox_degrades_it(app, client):
    app.config["SMTP_HOST"] = "mail.example.org"  # queued by hand below: nothing tries to send it
    _queue(app, minutes_ago=5)
    body = client.get("/healthz").json
    assert body["status"] == "ok"
    assert body["outbox"]["unsent"] == 1
    _queue(app, minutes_ago=90)  # older than HEALTH_OUTBOX_MAX_MINUTES (60)
    response = client.get("/healthz")
    assert response.status_code == 200  # degraded is still serving: the balancer keeps it
    assert response.json["status"] == "degraded"
    assert response.json["problems"] == ["outbox"]
    assert response.json["outbox"]["unsent"] == 2
    assert 89 <= response.json["outbox"]["oldest_unsent_minutes"] <= 91
    assert response.json["outbox"]["mail"] == "on"


def test_without_a_mail_server_old_notifications_are_read_on_their_page_not_stuck(app, client, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    _queue(app, minutes_ago=600)
    body = client.get("/healthz").json
    assert body["status"] == "ok", body
    assert body["outbox"]["unsent"] == 1
    assert body["outbox"]["mail"] == "off"


def test_the_last_checkpoint_is_reported_with_its_age(client, runner):
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    checkpoint = client.get("/healthz").json["audit_checkpoint"]
    assert checkpoint["age_hours"] is not None
    assert 0 <= checkpoint["age_hours"] < 0.1
    assert dt.datetime.fromisoformat(checkpoint["last_at"]) <= utcnow()


class TestScheduledCheckpoints:
    @pytest.fixture
    def app_config(self, tmp_path):
        return {"AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"), "AUDIT_CHECKPOINT_HOURS": 1}

    def test_an_overdue_checkpoint_degrades_it(self, client, runner, monkeypatch):
        # TESTING keeps the background scheduler off; the health check still knows checkpoints are expected.
        body = client.get("/healthz").json
        assert body["status"] == "degraded"
        assert body["problems"] == ["audit_checkpoint"]
        assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
        assert client.get("/healthz").json["status"] == "ok"
        from tracker.db import CLOCK

        CLOCK.advance(dt.timedelta(hours=3))  # more than twice AUDIT_CHECKPOINT_HOURS
        try:
            body = client.get("/healthz").json
        finally:
            CLOCK.reset()
        assert body["status"] == "degraded"
        assert body["audit_checkpoint"]["age_hours"] >= 3


class TestLittleDisk:
    @pytest.fixture
    def app_config(self):
        return {"HEALTH_MIN_FREE_MB": 10**9}  # a petabyte: no test machine has that free

    def test_little_disk_for_sqlite_degrades_it(self, client, database_url):
        if not database_url.startswith("sqlite"):
            pytest.skip("the disk is watched for SQLite only")
        body = client.get("/healthz").json
        assert body["status"] == "degraded"
        assert body["problems"] == ["disk"]
        assert body["disk"]["status"] == "low"


def test_it_never_shows_a_secret_or_a_path(app, client, database_url):
    text = json.dumps(client.get("/healthz").json)
    for key in ("SECRET_KEY", "QR_SIGNING_KEY", "AUDIT_SIGNING_KEY_FILE"):
        assert app.config[key] not in text
    assert database_url not in text
    assert "/" not in text


def test_an_unreachable_database_is_unavailable(tmp_path):
    from tracker import create_app

    broken = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db", "AUTO_MIGRATE": False, "TESTING": True,
         "SECRET_KEY": "k" * 32, "QR_SIGNING_KEY": "q"}
    )  # fmt: skip
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "database": "unreachable"}
