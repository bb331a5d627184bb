"""Security controls, tested through the app: CSRF on every form route, HSTS only over TLS, a CSP with no
inline script or style on every page, the idle session timeout, no password or token in any log record,
size-limited uploads, local-only redirects, and SQL only through bound parameters (a source check)."""

from __future__ import annotations

import ast
import datetime as dt
import io
import logging
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import itsdangerous.timed
import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import PASSWORD, csrf_token_in
from tests.integration.randomization_support import import_list, list_rows
from tests.lots_support import create_lot, enter_results, issue_kits, passing_lot
from tests.sites_support import add_site
from tests.ward_support import handoff
from tracker.audit.models import AuditEvent
from tracker.randomization.models import RandomizationList
from tracker.roles import ROLES
from tracker.web.context import reader
from tracker.web.security import CSP

TRACKER = Path(__file__).resolve().parents[2] / "tracker"


# ---- helpers ----------------------------------------------------------------------------------------------


def csrf_token(client: Any) -> str:
    page = client.get("/login").data
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def page_client(app: Any, make_user: Any, role: str) -> Any:
    """A browser signed in on the pages as a new user of `role`."""
    client = app.test_client()
    signed_in = client.post(
        "/login", data={"username": make_user(role), "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert signed_in.status_code == 302
    return client


def page_rules(app: Any, method: str) -> list[Any]:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if method in rule.methods and not rule.rule.startswith(("/api/", "/fhir/", "/static/"))
        ),
        key=lambda rule: rule.rule,
    )


def allowed_roles(app: Any, rule: Any) -> tuple[str, ...]:
    return getattr(app.view_functions[rule.endpoint], "required_roles", ()) or ROLES


def audit_count(app: Any) -> int:
    with app.app_context(), reader() as work:
        return work.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


@pytest.fixture
def records(app, login, runner, tmp_path) -> dict[str, str]:
    """Real records for the path parameters: a released lot, a lot in quarantine, a participant."""
    gmp = login("gmp")
    passing_lot(gmp, "UC-0001")
    login("qa").post("/api/v1/lots/UC-0001/release", json={"password": PASSWORD, "meaning": "ok"})
    create_lot(gmp, "VH-0001", "placebo")
    enter_results(gmp, "VH-0001", {"endotoxin": 0.9})
    import_list(runner, tmp_path, list_rows(per_stratum=2))
    enrolled = login("investigator").post(
        "/api/v1/participants", json={"participant_id": "P-001", "stratum": "A"}
    )
    assert enrolled.status_code == 201
    container = gmp.get("/api/v1/lots/VH-0001").json["containers"][0]["container_id"]
    # A placebo bag (the list alternates arms, so the second participant of stratum A is placebo), from two
    # kits issued to the pharmacy.
    vehicle = passing_lot(gmp, "VH-0002", "placebo")
    login("qa").post("/api/v1/lots/VH-0002/release", json={"password": PASSWORD, "meaning": "ok"})
    cells = gmp.get("/api/v1/lots/UC-0001").json["containers"]
    issue_kits(
        gmp, [c["container_id"] for c in cells[:2]], [c["container_id"] for c in vehicle["containers"][:2]]
    )
    second = login("investigator").post(
        "/api/v1/participants", json={"participant_id": "P-002", "stratum": "A"}
    )
    bag = login("pharmacist").post(
        "/api/v1/doses",
        json={"randomization_code": second.json["randomization_code"], "placebo_lot": "VH-0002",
              "final_volume_ml": 100},
    )  # fmt: skip
    assert bag.status_code == 201, bag.json
    # A placebo bag infused on the ward (the second code of stratum B is placebo too).
    login("investigator").post("/api/v1/participants", json={"participant_id": "P-003", "stratum": "B"})
    fourth = login("investigator").post(
        "/api/v1/participants", json={"participant_id": "P-004", "stratum": "B"}
    )
    pharmacist, nurse = login("pharmacist"), login("nurse")
    infused = pharmacist.post(
        "/api/v1/doses",
        json={"randomization_code": fourth.json["randomization_code"], "placebo_lot": "VH-0002",
              "final_volume_ml": 100},
    ).json["bag_id"]  # fmt: skip
    for client, action in ((pharmacist, "dispatch"), (nurse, "receive")):
        moved = handoff(client, infused, action, location="Ward 5")  # labelled first, received cold
        assert moved.status_code == 201, moved.json
    infusion = nurse.post("/api/v1/infusions", json={"bag_id": infused, "participant_id": "P-004"})
    assert infusion.status_code == 201, infusion.json
    deviation = pharmacist.post(
        "/api/v1/deviations",
        json={"title": "Seal", "description": "Seal loose", "category": "other", "bag_id": infused,
              "lot_number": "VH-0002"},
    )  # fmt: skip
    assert deviation.status_code == 201, deviation.json
    adverse_event = nurse.post(
        f"/api/v1/infusions/{infusion.json['infusion_id']}/adverse-events",
        json={"onset_at": dt.datetime.now(dt.UTC).isoformat(), "description": "Chills", "grade": 1,
              "serious": False, "actions_taken": ["infusion_slowed"]},
    )  # fmt: skip
    assert adverse_event.status_code == 201, adverse_event.json
    unit = {"unit_id": "LN2-09", "name": "Spare freezer", "kind": "ln2_freezer", "location": "GMP lab"}
    assert gmp.post("/api/v1/storage-units", json=unit).status_code == 201
    add_site(login, "SITE-02")  # after the enrolments: a person of the whole trial would name the site
    add_site(login, "SITE-03")
    shipment = gmp.post(
        "/api/v1/shipments",
        json={"destination_site": "site-02", "container_ids": [cells[2]["container_id"],
                                                               vehicle["containers"][2]["container_id"]]},
    )  # fmt: skip
    assert shipment.status_code == 201, shipment.json
    return {
        "lot_number": "VH-0001", "container_id": container, "participant_id": "P-001",
        "code": enrolled.json["randomization_code"], "bag_id": bag.json["bag_id"], "list_id": "1",
        "infused_bag_id": infused, "infusion_id": infusion.json["infusion_id"],
        "deviation_id": deviation.json["deviation_id"], "ae_id": adverse_event.json["ae_id"],
        "unit_id": "LN2-09", "shipment_id": shipment.json["shipment_id"],
    }  # fmt: skip


# The form each POST page route takes, as its page sends it (less the CSRF token). A new form route fails
# test_every_form_route_refuses_a_post_without_its_csrf_token until it is listed here.
FORMS: dict[str, dict[str, str]] = {
    "/login": {"username": "someone", "password": "Not-The-Password-1"},
    "/logout": {},
    "/language": {"lang": "zh", "next": "/"},
    "/participants/enrol": {"participant_id": "P-900", "stratum": "B"},
    "/participants/code-break": {
        "step": "confirm", "participant_id": "P-001", "reason": "SAE", "password": PASSWORD,
    },
    "/lots/new": {
        "lot_number": "VH-0900", "material": "placebo", "manufactured_at": "2026-01-01T10:00",
        "expires_at": "2030-01-01T10:00", "container_count": "2", "volume_ml_per_container": "10",
    },
    "/lots/<lot_number>/qc": {"test": "sterility", "value": "negative"},
    "/lots/<lot_number>/sign": {"action": "reject", "reason": "endotoxin", "password": PASSWORD},
    "/lots/<lot_number>/handoff": {
        "container_id": "{container_id}", "action": "issue", "location": "Pharmacy",
    },
    "/kits/issue": {"mode": "containers", "container_ids": "{container_id}", "location": "Pharmacy"},
    "/pharmacy/thaw": {
        "container_id": "{container_id}", "viable_cells_per_ml": "5e6", "viability_percent": "90",
        "volume_ml": "5",
    },
    "/pharmacy/prepare/<code>": {"placebo_lot": "VH-0001", "final_volume_ml": "100"},
    "/pharmacy/bags/<bag_id>/void": {"reason": "dropped"},
    "/pharmacy/bags/<bag_id>/label/send": {"reason": "jammed"},
    "/pharmacy/bags/<bag_id>/dispatch": {"location": "Ward 5"},
    "/pharmacy/bags/<bag_id>/quarantine": {"decision": "release", "reason": "checked"},
    "/pharmacy/bags/<bag_id>/destroy": {"location": "Pharmacy", "reason": "dropped"},
    "/ward/bags/<bag_id>/handoff": {"action": "return", "location": "Pharmacy"},
    "/ward/scan": {"qr_payload": "CT1B2222222222LAAAAAAAAAAAAAAAA", "participant_id": "P-002"},
    "/ward/infusions": {"bag_id": "{bag_id}", "participant_id": "P-002"},
    "/ward/infusions/<infusion_id>/complete": {"volume_infused_ml": "95"},
    "/ward/receive": {"bag": "{bag_id}", "location": "Ward 5", "temperature_c": "5", "seal_intact": "yes"},
    "/randomization/generate": {"seed": "7", "per_stratum": "2", "block_sizes": "2"},
    "/randomization/import": {},
    "/scan/decode": {},  # the frame is a file; without one the answer is 422, past the CSRF check
    "/admin/users": {"username": "new.user", "full_name": "New User", "role": "qa", "password": PASSWORD},
    "/admin/users/<username>": {"action": "disable", "reason": "left", "password": PASSWORD},
    "/admin/users/<username>/password-reset": {"reason": "forgot", "password": PASSWORD},
    "/admin/users/<username>/unlock": {"reason": "locked"},
    "/deviations/new": {"title": "Cold chain", "description": "Box warm", "category": "other"},
    "/deviations/<deviation_id>/transition": {"to": "under_investigation"},
    "/deviations/<deviation_id>/close": {"password": PASSWORD, "meaning": "closed"},
    "/adverse-events/new": {
        "infusion_id": "{infusion_id}", "onset_at": "2026-01-01T10:00", "description": "Rash", "grade": "1",
        "serious": "no", "actions_taken": "none",
    },
    "/adverse-events/<ae_id>/assessment": {"causality": "unlikely", "outcome": "recovering"},
    "/adverse-events/<ae_id>/sponsor-report": {"note": "faxed"},
    "/storage": {"unit_id": "FR-09", "name": "Ward fridge", "kind": "fridge_2_8", "location": "Ward 5"},
    "/storage/<unit_id>/move": {
        "container_id": "{container_id}", "rack": "R1", "box": "B1", "position": "A1",
    },
    "/storage/<unit_id>/import": {},  # the logger file is a file; without one the answer is 422, past CSRF
    "/storage/quarantine/<container_id>": {"decision": "release", "reason": "checked", "password": PASSWORD},
    "/shipments": {"destination_site": "site-03", "container_ids": "{container_id}"},
    "/shipments/<shipment_id>/dispatch": {},
    "/shipments/<shipment_id>/receipt": {"container_ids": "{container_id}"},
    "/admin/sites": {"code": "BJ-09", "name": "Beijing", "kind": "clinical"},
    "/admin/sites/<code>": {"name": "Renamed"},
    "/shipments/<shipment_id>/logger": {},  # the logger file is a file; without one the answer is 422
    "/shipments/<shipment_id>/quarantine-decision": {"decision": "release", "reason": "checked",
                                                      "password": PASSWORD},
    "/account/password": {
        "current_password": PASSWORD, "new_password": "Velvet-Otter-Canal-8",
        "confirm_password": "Velvet-Otter-Canal-8",
    },
}  # fmt: skip


# ---- CSRF -------------------------------------------------------------------------------------------------


def test_every_form_route_refuses_a_post_without_its_csrf_token(app, make_user, records):
    routes = page_rules(app, "POST")
    assert {rule.rule for rule in routes} == set(FORMS), "list the form of every POST page route in FORMS"
    target = make_user("nurse", "csrf.target")
    for rule in routes:
        role = allowed_roles(app, rule)[0]
        url = rule.rule.replace("<username>", target)
        for name in (
            "lot_number",
            "code",
            "bag_id",
            "infusion_id",
            "deviation_id",
            "ae_id",
            "unit_id",
            "container_id",
            "shipment_id",
        ):
            url = url.replace(f"<{name}>", records[name])
        form = {k: v.format(**records) for k, v in FORMS[rule.rule].items()}
        client = page_client(app, make_user, role)
        before = audit_count(app)

        refused = client.post(url, data=form)
        assert refused.status_code == 400, f"{rule.rule} accepted a form without its CSRF token"
        assert b"csrf_failed" in refused.data
        assert audit_count(app) == before, f"{rule.rule} changed something without a CSRF token"
        assert client.get("/").status_code == 200, "the refused post signed the user out"

        # The same form with its token gets past the check: the 400 above was the CSRF check's.
        accepted = client.post(url, data={**form, "csrf_token": csrf_token(client)})
        assert accepted.status_code != 400, f"{rule.rule}: {accepted.data[:300]}"


def test_the_api_takes_no_cookie_session_so_a_forged_cross_site_post_is_unauthenticated(app, make_user):
    # The API is exempt from the CSRF check because it reads only bearer tokens: a browser's cookie is no key.
    browser = page_client(app, make_user, "gmp")
    forged = browser.post("/api/v1/lots", json={"lot_number": "X-1"})
    assert forged.status_code == 401
    assert forged.json["error"]["code"] == "missing_token"


# ---- headers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/login", "/api/v1/openapi.json", "/healthz"])
def test_hsts_is_sent_over_https_and_never_over_plain_http(client, url):
    over_tls = client.get(url, base_url="https://localhost")
    assert over_tls.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    plain = client.get(url, base_url="http://localhost")
    assert "Strict-Transport-Security" not in plain.headers
    for response in (over_tls, plain):
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_the_csp_forbids_inline_script_and_style_and_framing():
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in CSP
    assert "unsafe-eval" not in CSP


class _InlineFinder(HTMLParser):
    """Collects everything a CSP without 'unsafe-inline' would block or that runs script from markup."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.problems.append("<script> without src")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style= on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL on <{tag}>")


def _assert_clean_page(response: Any, what: str) -> None:
    if response.mimetype == "application/pdf":
        # The app's own pages frame a PDF to print it; nothing else may, and it runs nothing.
        pdf_policy = "default-src 'none'; frame-ancestors 'self'"
        assert response.headers["Content-Security-Policy"] == pdf_policy, what
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN", what
    else:
        assert response.headers["Content-Security-Policy"] == CSP, what
        assert response.headers["X-Frame-Options"] == "DENY", what
    assert response.headers["X-Content-Type-Options"] == "nosniff", what
    if response.mimetype != "text/html":
        return
    assert response.headers["Cache-Control"] == "no-store", what
    finder = _InlineFinder()
    finder.feed(response.get_data(as_text=True))
    assert finder.problems == [], f"{what}: {finder.problems}"


def test_every_page_every_role_can_open_has_no_inline_script_or_style(app, make_user, records):
    clients = {role: page_client(app, make_user, role) for role in ROLES}
    urls = {
        "<lot_number>": ["UC-0001", "VH-0001"], "<participant_id>": ["P-001"], "<code>": [records["code"]],
        "<bag_id>": [records["bag_id"], records["infused_bag_id"]], "<list_id>": [records["list_id"]],
        "<infusion_id>": [records["infusion_id"]], "<username>": [make_user("nurse", "page.target")],
        "<deviation_id>": [records["deviation_id"]], "<ae_id>": [records["ae_id"]],
        "<unit_id>": [records["unit_id"]], "<shipment_id>": [records["shipment_id"]],
    }  # fmt: skip
    opened = 0
    for rule in page_rules(app, "GET"):
        variants = [rule.rule]
        for name, values in urls.items():
            if name in rule.rule:
                variants = [rule.rule.replace(name, value) for value in values]
        assert all("<" not in url for url in variants), f"give a real ID for {rule.rule}"
        # A label's second print is a reprint, which needs a reason.
        variants = [f"{url}?reason=check" if "/label." in url else url for url in variants]
        # A sheet of labels names its bags in the query.
        variants = [
            f"{url}?bag_id={records['bag_id']}&reason=check" if "/labels/sheet." in url else url
            for url in variants
        ]
        # The report pages name their record in the query.
        variants = [
            f"{url}?bag_id={records['bag_id']}" if url == "/reports/custody.pdf" else
            f"{url}?participant_id=P-001" if url == "/reports/record.pdf" else url
            for url in variants
        ]  # fmt: skip
        for role in allowed_roles(app, rule):
            for url in variants:
                response = clients[role].get(url)
                assert response.status_code == 200, f"{role} {url}: {response.status_code}"
                _assert_clean_page(response, f"{role} {url}")
                response.close()  # as a WSGI server would: a streamed export finishes inside its request
                opened += 1
    assert opened >= 30
    # The signed-out, refused, missing and failed states render pages too.
    stranger = app.test_client()
    for response, what in (
        (stranger.get("/login"), "sign-in"),
        (stranger.post("/login", data={"username": "x", "password": "y", "csrf_token": csrf_token(stranger)}),
         "failed sign-in"),
        (stranger.post("/logout"), "CSRF refusal"),
        (clients["nurse"].get("/lots"), "403"),
        (clients["gmp"].get("/lots/NO-SUCH-LOT"), "404"),
        (clients["gmp"].get("/no/such/page"), "unknown address"),
    ):  # fmt: skip
        assert response.status_code in (200, 400, 401, 403, 404), what
        _assert_clean_page(response, what)
    investigator = clients["investigator"]
    for form in (
        {"participant_id": "P-001", "stratum": "A"},  # already enrolled: 409 page
        {"participant_id": "", "stratum": "Z"},  # invalid: 422 page
    ):
        response = investigator.post(
            "/participants/enrol", data={**form, "csrf_token": csrf_token(investigator)}
        )
        assert response.status_code in (409, 422)
        _assert_clean_page(response, f"enrol refused {form}")
    for form in (
        {"step": "review", "participant_id": "P-001", "reason": "SAE"},
        {"step": "confirm", "participant_id": "P-001", "reason": "SAE", "password": "wrong-password-1"},
    ):
        response = investigator.post(
            "/participants/code-break", data={**form, "csrf_token": csrf_token(investigator)}
        )
        _assert_clean_page(response, f"code-break {form['step']}")
    qa = clients["qa"]
    response = qa.post(
        "/lots/UC-0001/sign",
        data={"action": "recall", "reason": "x", "password": "wrong", "csrf_token": csrf_token(qa)},
    )
    assert response.status_code == 401
    _assert_clean_page(response, "wrong signature password")


# ---- session timeout -------------------------------------------------------------------------------------


def test_a_page_session_idle_longer_than_its_lifetime_must_sign_in_again(app, make_user, monkeypatch):
    lifetime = app.permanent_session_lifetime.total_seconds()
    assert lifetime == 30 * 60
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is True  # each request restarts the clock: idle timeout
    clock = {"now": 1_900_000_000}
    lifetime = int(lifetime)
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: clock["now"])
    client = page_client(app, make_user, "qa")

    clock["now"] += lifetime - 60
    assert client.get("/").status_code == 200
    clock["now"] += lifetime - 60  # past the lifetime since sign-in, but not since the last request
    assert client.get("/").status_code == 200

    clock["now"] += lifetime + 1
    expired = client.get("/")
    assert expired.status_code == 302
    assert expired.headers["Location"].startswith("/login")


def test_the_session_cookie_is_http_only_same_site_and_expires(app, make_user):
    client = app.test_client()
    response = client.post(
        "/login", data={"username": make_user("qa"), "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie


# ---- logs -------------------------------------------------------------------------------------------------


def test_no_password_or_token_ever_reaches_a_log_record(app, client, make_user, records, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy.engine", "werkzeug", "flask_wtf", "tracker"):
        caplog.set_level(logging.DEBUG, logger=name)  # every statement and its bound parameters too
    wrong = "Wrong-Horse-Battery-7"
    secrets_seen: list[str] = [PASSWORD, wrong]

    qa = make_user("qa")
    investigator = make_user("investigator")
    browser = app.test_client()
    assert (
        browser.post(
            "/login", data={"username": qa, "password": PASSWORD, "csrf_token": csrf_token(browser)}
        ).status_code
        == 302
    )
    assert client.post("/api/v1/auth/token", json={"username": qa, "password": wrong}).status_code == 401
    assert (
        browser.post(
            "/login", data={"username": investigator, "password": wrong, "csrf_token": csrf_token(browser)}
        ).status_code
        == 401
    )
    tokens = {}
    for name in (qa, investigator):
        answer = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
        assert answer.status_code == 200
        tokens[name] = answer.json["token"]
        secrets_seen.append(tokens[name])
    bearer = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    released = client.post(
        "/api/v1/lots/UC-0001/recall", json={"password": PASSWORD, "reason": "deviation"}, headers=bearer[qa]
    )
    assert released.status_code == 200, released.json
    wrong_signature = client.post(
        "/api/v1/lots/VH-0001/reject", json={"password": wrong, "reason": "x"}, headers=bearer[qa]
    )
    assert wrong_signature.status_code == 401
    broken = client.post(
        "/api/v1/participants/P-001/unblind",
        json={"reason": "SAE, treating physician needs the arm", "password": PASSWORD},
        headers=bearer[investigator],
    )
    assert broken.status_code == 200, broken.json
    assert client.delete("/api/v1/auth/token", headers=bearer[qa]).status_code == 200

    # Every SQL statement was logged with its bound parameters, so the check below has material.
    assert sum(r.name.startswith("sqlalchemy.engine") for r in caplog.records) > 100
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + (record.exc_text or "")
        for secret in secrets_seen:
            assert secret not in text, f"{record.name} logged a secret: {text[:200]}"


# ---- uploads ----------------------------------------------------------------------------------------------


def _lists_stored(app: Any) -> int:
    with app.app_context(), reader() as work:
        return work.session.execute(select(func.count()).select_from(RandomizationList)).scalar_one()


def test_an_upload_over_the_size_limit_is_refused_with_413_and_stores_nothing(app, login):
    statistician = login("statistician")
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 2 * 1024 * 1024
    header = b"randomization_code,stratum,arm\n"
    huge = header + b"RAAAAA2,A,active\n" * ((limit - len(header)) // 17 + 1)
    assert len(huge) > limit
    before = audit_count(app)
    as_csv = statistician.post(
        "/api/v1/randomization/lists/import", data=huge, headers={"Content-Type": "text/csv"}
    )
    # Encoded here, so that the test client does not spool the body to a temporary file of its own.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(huge), "list.csv", "file")})
    as_file = statistician.post(
        "/api/v1/randomization/lists/import",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    for response in (as_csv, as_file):
        assert response.status_code == 413
        assert set(response.json) == {"error"}
        assert set(response.json["error"]) == {"code", "message", "details"}
        assert response.json["error"]["code"] == "payload_too_large"
    assert _lists_stored(app) == 0
    assert audit_count(app) == before


# ---- redirects --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\t/evil.example", "/\\evil.example", "/\n/x"]
)
def test_sign_in_and_language_choice_never_redirect_off_the_site(app, make_user, target):
    client = app.test_client()
    chosen = client.post("/language", data={"lang": "en", "next": target, "csrf_token": csrf_token(client)})
    assert chosen.status_code == 302
    assert chosen.headers["Location"] == "/"
    signed_in = client.post(
        "/login",
        query_string={"next": target},
        data={"username": make_user("qa"), "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/"


def test_sign_in_and_language_choice_return_to_a_page_on_the_site(app, make_user):
    client = app.test_client()
    chosen = client.post(
        "/language", data={"lang": "en", "next": "/lots?status=released", "csrf_token": csrf_token(client)}
    )
    assert chosen.headers["Location"] == "/lots?status=released"


# ---- SQL only through bound parameters -------------------------------------------------------------------

SQL_CALLS = {"text", "exec_driver_sql", "execute", "executescript", "literal_column"}

# (path under tracker/, function called) -> why a formatted string is safe there. Only identifiers from our
# own metadata may be formatted into SQL; every value goes in as a bound parameter.
ALLOWED: dict[tuple[str, str], str] = {}


def _is_formatted(node: ast.AST) -> bool:
    """An f-string with a field, `"..." % x`, `"...".format(...)`, or a string joined to a variable."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(part, ast.FormattedValue) for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return isinstance(node.left, ast.Constant | ast.JoinedStr) and isinstance(
            getattr(node.left, "value", ""), str
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        sides = (node.left, node.right)
        has_text = any(isinstance(s, ast.Constant) and isinstance(s.value, str) for s in sides)
        return (
            has_text and not all(isinstance(s, ast.Constant) for s in sides) or any(map(_is_formatted, sides))
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)
    return False


def formatted_sql_calls(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in SQL_CALLS and _is_formatted(node.args[0]):
            found.append((node.lineno, name))
    return sorted(found)


def test_the_sql_check_catches_every_way_of_formatting_a_value_into_sql():
    source = """
text(f"SELECT * FROM lot WHERE lot_number = '{number}'")
conn.exec_driver_sql("DELETE FROM lot WHERE id = %s" % lot_id)
session.execute(text("SELECT * FROM lot WHERE id = {}".format(lot_id)))
cursor.execute("SELECT * FROM lot WHERE id = " + lot_id)
text("SELECT 1")
session.execute(select(Lot).where(Lot.id == lot_id))
text("SELECT * FROM lot WHERE id = :id").bindparams(id=lot_id)
"""
    assert formatted_sql_calls(source) == [(2, "text"), (3, "exec_driver_sql"), (4, "text"), (5, "execute")]


def test_no_module_formats_values_into_sql():
    offenders, allowed_seen = [], set()
    for path in sorted(TRACKER.rglob("*.py")):
        relative = path.relative_to(TRACKER).as_posix()
        for line, name in formatted_sql_calls(path.read_text(encoding="utf-8")):
            if (relative, name) in ALLOWED:
                allowed_seen.add((relative, name))
            else:
                offenders.append(f"tracker/{relative}:{line} formats a string into {name}(...)")
    assert offenders == [], "use bound parameters: " + "; ".join(offenders)
    assert allowed_seen == set(ALLOWED), "an allow-list entry no longer matches any code: remove it"


def test_over_https_the_sign_in_form_works_because_the_page_lets_the_browser_send_its_referer(app, make_user):
    """Flask-WTF refuses an HTTPS form post without a same-origin Referer; the referrer policy must let the
    browser send one to the app itself (and to nobody else)."""
    client = app.test_client()
    https = {"base_url": "https://tracker.example"}
    page = client.get("/login", **https)
    assert page.headers["Referrer-Policy"] == "same-origin"
    form = {"username": make_user("nurse"), "password": PASSWORD, "csrf_token": csrf_token_in(page.data)}
    without_referer = client.post("/login", data=form, **https)
    assert without_referer.status_code == 400  # what a no-referrer policy made of every HTTPS form
    signed_in = client.post(
        "/login", data=form, headers={"Referer": "https://tracker.example/login"}, **https
    )
    assert signed_in.status_code == 302
