"""The outbox is e-mailed when SMTP is configured: each notification once, to its audience, never an arm."""

import threading

import pytest

from tests.conftest import PASSWORD
from tests.integration.randomization_support import import_list, list_rows, text_mentions_an_arm
from tracker.notifications import services
from tracker.notifications.services import list_notifications
from tracker.web.context import reader

SENT: list = []
_LOCK = threading.Lock()


class FakeSmtp:
    def __init__(self, host, port, timeout):
        assert (host, port) == ("mail.example.org", 2525)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        with _LOCK:
            SENT.append(message)


@pytest.fixture
def app_config():
    return {
        "SMTP_HOST": "mail.example.org",
        "SMTP_PORT": "2525",
        "SMTP_FROM": "tracker@site.example",
        "NOTIFY_QA": "qa@site.example",
        "NOTIFY_SPONSOR": "safety@sponsor.example, monitor@sponsor.example",
    }


def test_a_code_break_is_mailed_once_to_qa_and_the_sponsor(app, runner, tmp_path, login, monkeypatch):
    SENT.clear()
    monkeypatch.setattr(services.smtplib, "SMTP", FakeSmtp)
    import_list(runner, tmp_path, list_rows(2))
    investigator = login("investigator")
    investigator.post("/api/v1/participants", json={"participant_id": "M-1", "stratum": "A"})
    response = investigator.post(
        "/api/v1/participants/M-1/unblind", json={"reason": "SAE", "password": PASSWORD}
    )
    assert response.status_code == 200
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    for thread in app.extensions.get("notification_threads", []):
        thread.join(timeout=30)
    assert sorted(m["To"] for m in SENT) == [
        "qa@site.example",
        "safety@sponsor.example, monitor@sponsor.example",
    ]
    for message in SENT:
        assert "M-1" in message["Subject"]
        assert not text_mentions_an_arm(message.get_content().replace("does not name the arm", ""))
    with app.app_context():
        assert all(n.sent_at is not None for n in list_notifications(reader()))


def test_without_smtp_the_send_command_says_so_succeeds_and_keeps_the_outbox(runner, monkeypatch):
    # A site without a mail server reads notifications on their page: the periodic send must not fail.
    monkeypatch.delenv("SMTP_HOST", raising=False)
    runner.app.config["SMTP_HOST"] = None
    result = runner.invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "SMTP_HOST is not set" in result.output
