"""Every route, API and page, against every role: generated from the app's URL map, so a new route
without an entry in EXPECTED fails here."""

import re

import pytest

from tracker.roles import ROLES

ALL = ROLES
PUBLIC = ()

# (method, rule) -> the roles allowed; PUBLIC needs no sign-in.
EXPECTED: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("DELETE", "/api/v1/auth/token"): ALL,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/audit"): ("qa", "admin"),
    ("GET", "/api/v1/audit/export.csv"): ("qa", "admin"),
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("POST", "/language"): PUBLIC,
    ("GET", "/"): ALL,
    # randomization, enrolment and code-break (issue 4)
    ("POST", "/api/v1/randomization/lists"): ("statistician",),
    ("GET", "/api/v1/randomization/lists"): ("statistician",),
    ("POST", "/api/v1/randomization/lists/import"): ("statistician",),
    ("POST", "/api/v1/participants"): ("investigator",),
    ("GET", "/api/v1/participants/<participant_id>"): ("investigator", "nurse", "pharmacist"),
    ("POST", "/api/v1/participants/<participant_id>/unblind"): ("investigator",),
    ("GET", "/api/v1/reports/code-breaks"): ("qa", "admin"),
    ("GET", "/api/v1/reports/code-breaks.csv"): ("qa", "admin"),
    ("GET", "/randomization"): ("statistician",),
    ("POST", "/randomization/generate"): ("statistician",),
    ("POST", "/randomization/import"): ("statistician",),
    ("GET", "/randomization/lists/<list_id>/export.csv"): ("statistician",),
    ("GET", "/api/v1/randomization/lists/<list_id>/export.csv"): ("statistician",),
    ("GET", "/participants/enrol"): ("investigator",),
    ("POST", "/participants/enrol"): ("investigator",),
    ("GET", "/participants"): ("investigator", "nurse"),
    ("GET", "/participants/<participant_id>"): ("investigator", "nurse"),
    ("GET", "/participants/code-break"): ("investigator",),
    ("POST", "/participants/code-break"): ("investigator",),
    ("GET", "/notifications"): ("qa", "admin"),
    # lots, QC, signatures, containers (issue 3)
    ("POST", "/api/v1/lots"): ("gmp",),
    ("GET", "/api/v1/lots"): ("gmp", "qa", "pharmacist"),
    ("GET", "/api/v1/lots/<lot_number>"): ("gmp", "qa", "pharmacist"),
    ("POST", "/api/v1/lots/<lot_number>/qc-results"): ("gmp",),
    ("POST", "/api/v1/lots/<lot_number>/release"): ("qa",),
    ("POST", "/api/v1/lots/<lot_number>/reject"): ("qa",),
    ("POST", "/api/v1/lots/<lot_number>/recall"): ("qa",),
    ("GET", "/api/v1/lots/<lot_number>/certificate.pdf"): ("gmp", "qa", "pharmacist"),
    ("POST", "/api/v1/containers/<container_id>/handoffs"): ("gmp", "pharmacist"),
    ("GET", "/api/v1/containers/<container_id>/custody"): ("gmp", "qa", "pharmacist"),
    ("GET", "/lots"): ("gmp", "qa", "pharmacist"),
    ("GET", "/lots/new"): ("gmp",),
    ("POST", "/lots/new"): ("gmp",),
    ("GET", "/lots/<lot_number>"): ("gmp", "qa", "pharmacist"),
    ("GET", "/lots/<lot_number>/qc"): ("gmp",),
    ("POST", "/lots/<lot_number>/qc"): ("gmp",),
    ("GET", "/lots/<lot_number>/sign"): ("qa",),
    ("POST", "/lots/<lot_number>/sign"): ("qa",),
    ("GET", "/lots/<lot_number>/boxes"): ("gmp", "qa", "pharmacist"),
    ("POST", "/lots/<lot_number>/handoff"): ("gmp", "pharmacist"),
    ("GET", "/lots/<lot_number>/certificate.pdf"): ("gmp", "qa", "pharmacist"),
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule


def test_every_route_has_an_expected_entry_and_its_guard_agrees(app):
    seen = set()
    for method, rule in _routes(app):
        key = (method, rule.rule)
        seen.add(key)
        assert key in EXPECTED, f"{method} {rule.rule} has no entry in the role matrix"
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, "required_roles", PUBLIC)
        assert set(declared) == set(EXPECTED[key]), f"{method} {rule.rule}: guard says {declared}"
    assert seen == set(EXPECTED), f"entries for routes that do not exist: {set(EXPECTED) - seen}"


def _url(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "NOSUCH1", rule)


GUARDED_API = sorted((m, r, roles) for (m, r), roles in EXPECTED.items() if roles and r.startswith("/api/"))
GUARDED_PAGES = sorted(
    (m, r, roles) for (m, r), roles in EXPECTED.items() if roles and not r.startswith("/api/")
)


@pytest.mark.parametrize(("method", "rule", "roles"), GUARDED_API)
def test_api_route_refuses_no_token_with_401_and_other_roles_with_403(client, login, method, rule, roles):
    url = _url(rule)
    assert client.open(url, method=method, json={}).status_code == 401
    for role in set(ROLES) - set(roles):
        signed_in = login(role)
        response = client.open(
            url, method=method, json={}, headers={"Authorization": f"Bearer {signed_in.token}"}
        )
        assert response.status_code == 403, f"{role} reached {method} {rule}"
        assert response.json["error"]["code"] == "wrong_role"


def _csrf_token(client) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', client.get("/login").data).group(1).decode()


def _form(client, method: str) -> dict:
    # A real form post carries its CSRF token, so what answers is the guard, not the CSRF check.
    return {"data": {"csrf_token": _csrf_token(client)}} if method == "POST" else {}


@pytest.mark.parametrize(("method", "rule", "roles"), GUARDED_PAGES)
def test_pages_send_a_stranger_to_sign_in(client, method, rule, roles):
    response = client.open(_url(rule), method=method, **_form(client, method))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "rule", "roles"), [p for p in GUARDED_PAGES if set(p[2]) != set(ROLES)])
def test_pages_refuse_other_roles_with_403(app, make_user, method, rule, roles):
    from tests.conftest import PASSWORD

    for role in sorted(set(ROLES) - set(roles)):
        client = app.test_client()
        name = make_user(role)
        signed_in = client.post(
            "/login", data={"username": name, "password": PASSWORD, **_form(client, "POST")["data"]}
        )
        assert signed_in.status_code == 302
        response = client.open(_url(rule), method=method, **_form(client, method))
        assert response.status_code == 403, f"{role} reached the page {method} {rule}"
