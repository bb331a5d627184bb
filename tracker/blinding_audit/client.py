"""The audit's hands: one user per role, bearer-token API calls and signed-in page sessions, in process."""

from __future__ import annotations

import re
import secrets
from typing import Any

from tracker.roles import ROLES, SYSTEM

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class AuditFailure(RuntimeError):
    """The scratch trial could not be run as a pharmacy would run it: the audit cannot judge, so it fails."""


class Client:
    """Drives the scratch app as each role would: the API with a bearer token, pages with a session."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.password = "Blinding-Audit-" + secrets.token_hex(6) + "-Aa1"
        self.api = app.test_client()
        self.tokens: dict[str, str] = {}
        self.sessions: dict[str, Any] = {}
        self.requests = 0

    def username(self, role: str) -> str:
        return f"audit_{role}"

    def ensure_users(self) -> None:
        """One user per role, made the way a site's first admin makes them (the user service, as the CLI)."""
        from tracker.users.services import create_user
        from tracker.web.context import uow

        with self.app.app_context():
            for role in ROLES:
                create_user(uow(), SYSTEM, self.username(role), role, self.password, f"Audit {role}")

    def _sign_in(self, role: str) -> str:
        answer = self.api.post(
            "/api/v1/auth/token", json={"username": self.username(role), "password": self.password}
        )
        if answer.status_code != 200:
            raise AuditFailure(
                f"{role} could not sign in: {answer.status_code} {answer.get_data(as_text=True)}"
            )
        self.tokens[role] = answer.get_json()["token"]
        return self.tokens[role]

    def call(self, role: str, method: str, url: str, body: Any = None, *, expect: int | None = None) -> Any:
        """One API call as `role`; a token that expired during the simulated day is renewed once."""
        for attempt in (1, 2):
            token = self.tokens.get(role) or self._sign_in(role)
            self.requests += 1
            response = self.api.open(
                url, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
            )
            if response.status_code == 401 and attempt == 1:
                self.tokens.pop(role, None)
                continue
            break
        if expect is not None and response.status_code != expect:
            raise AuditFailure(
                f"{role} {method} {url}: {response.status_code} {response.get_data(as_text=True)[:500]}"
            )
        return response

    def json(self, role: str, method: str, url: str, body: Any = None, *, expect: int = 200) -> Any:
        return self.call(role, method, url, body, expect=expect).get_json()

    def _page_session(self, role: str) -> Any:
        client = self.app.test_client()
        login = client.get("/login").get_data(as_text=True)
        client.post(
            "/login",
            data={
                "username": self.username(role),
                "password": self.password,
                "csrf_token": _CSRF.search(login)[1],
            },
        )
        self.sessions[role] = client
        return client

    def page(self, role: str, url: str) -> Any:
        """A page as `role` sees it; a session that ended is signed in again once."""
        client = self.sessions.get(role) or self._page_session(role)
        self.requests += 1
        response = client.get(url)
        if response.status_code == 302 and "/login" in response.headers.get("Location", ""):
            response = self._page_session(role).get(url)
        return response
