"""The production entry as deploy/tracker.service runs it: gunicorn with deploy/gunicorn.conf.py and
TRACKER_ENV=production, its keys from the environment, against a new SQLite database."""

from __future__ import annotations

from tests.serving_support import gunicorn, http, production_env
from tracker.signing import generate_key_file


def test_gunicorn_with_the_repository_config_serves_the_app(tmp_path):
    generate_key_file(tmp_path / "audit-signing.pem")
    env = production_env(
        f"sqlite:///{tmp_path / 'tracker.db'}", tmp_path / "audit-signing.pem", TRUSTED_PROXY_HOPS="1"
    )
    log = tmp_path / "gunicorn.log"
    with gunicorn(env, log, workers=1) as base:
        status, _, health = http("GET", f"{base}/healthz")
        assert status == 200
        assert health["status"] == "ok"
        assert health["database"] == "ok"
        assert health["disk"]["status"] == "ok"

        # What the proxy says about the client is believed (one trusted hop): HTTPS, so HSTS is sent.
        _, headers, _ = http("GET", f"{base}/healthz", headers={"X-Forwarded-Proto": "https"})
        assert headers.get("Strict-Transport-Security", "").startswith("max-age=")
        _, headers, _ = http("GET", f"{base}/healthz")
        assert "Strict-Transport-Security" not in headers

        # A page is served, with the session cookie Secure in production.
        status, headers, _ = http(
            "GET", f"{base}/login?next=participant-SECRET-SEARCH", headers={"X-Forwarded-Proto": "https"}
        )
        assert status == 200
        assert "Secure" in headers.get("Set-Cookie", "Secure")
    text = log.read_text()
    assert '"GET /login HTTP/1.1" 200' in text  # the access log, to journald...
    assert "SECRET-SEARCH" not in text  # ...without the query string
    assert "Traceback" not in text
