"""Every route, API and page, against every role: generated from the app's URL map, so a new route
without an entry in EXPECTED fails here."""

import re

import pytest

from tracker.roles import ROLES

ALL = ROLES
PUBLIC = ()
FHIR_READERS = ("pharmacist", "nurse", "investigator", "qa")
# Answered to bearer tokens like the API; errors there are FHIR OperationOutcome resources.
API_PREFIXES = ("/api/", "/fhir/")

# (method, rule) -> the roles allowed; PUBLIC needs no sign-in.
EXPECTED: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("DELETE", "/api/v1/auth/token"): ALL,
    # people and accounts (issue 18)
    ("POST", "/api/v1/auth/password"): ALL,
    ("GET", "/api/v1/users"): ("admin",),
    ("POST", "/api/v1/users"): ("admin",),
    ("GET", "/api/v1/users/<username>"): ("admin",),
    ("PATCH", "/api/v1/users/<username>"): ("admin",),
    ("POST", "/api/v1/users/<username>/password-reset"): ("admin",),
    ("POST", "/api/v1/users/<username>/unlock"): ("admin",),
    ("GET", "/api/v1/reports/access-review"): ("qa", "admin"),
    ("GET", "/api/v1/reports/access-review.csv"): ("qa", "admin"),
    ("GET", "/api/v1/reports/access-review.pdf"): ("qa", "admin"),
    ("GET", "/reports/access-review.csv"): ("qa", "admin"),
    ("GET", "/reports/access-review.pdf"): ("qa", "admin"),
    # sites (issue 23): every person reads the list; the admin adds and changes
    ("GET", "/api/v1/sites"): ALL,
    ("POST", "/api/v1/sites"): ("admin",),
    ("PATCH", "/api/v1/sites/<code>"): ("admin",),
    ("GET", "/admin/sites"): ("admin",),
    ("POST", "/admin/sites"): ("admin",),
    ("POST", "/admin/sites/<code>"): ("admin",),
    ("GET", "/admin/users"): ("admin",),
    ("POST", "/admin/users"): ("admin",),
    ("GET", "/admin/users/<username>"): ("admin",),
    ("POST", "/admin/users/<username>"): ("admin",),
    ("POST", "/admin/users/<username>/password-reset"): ("admin",),
    ("POST", "/admin/users/<username>/unlock"): ("admin",),
    ("GET", "/account/password"): ALL,
    ("POST", "/account/password"): ALL,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/api/v1/audit"): ("qa", "admin"),
    ("GET", "/api/v1/audit/export.csv"): ("qa", "admin"),
    ("GET", "/api/v1/audit/export.pdf"): ("qa", "admin"),
    ("GET", "/api/v1/audit/unblinded"): ("pharmacist", "statistician"),
    # pharmacy (issue 5)
    ("POST", "/api/v1/thaws"): ("pharmacist",),
    ("GET", "/api/v1/thaws"): ("pharmacist",),
    ("GET", "/api/v1/thaws/<thaw_id>"): ("pharmacist",),
    ("GET", "/api/v1/doses/plan"): ("pharmacist",),
    ("GET", "/api/v1/doses/worklist"): ("pharmacist",),
    ("POST", "/api/v1/doses"): ("pharmacist",),
    ("GET", "/api/v1/bags"): ("pharmacist",),
    ("GET", "/api/v1/bags/<bag_id>"): ("pharmacist", "nurse", "investigator"),
    ("POST", "/api/v1/bags/<bag_id>/void"): ("pharmacist",),
    ("GET", "/api/v1/bags/<bag_id>/label.pdf"): ("pharmacist",),
    ("GET", "/api/v1/bags/<bag_id>/label.zpl"): ("pharmacist",),
    ("POST", "/api/v1/bags/<bag_id>/label/send"): ("pharmacist",),
    ("GET", "/api/v1/labels/sheet.pdf"): ("pharmacist",),
    ("GET", "/pharmacy"): ("pharmacist",),
    ("GET", "/pharmacy/thaw"): ("pharmacist",),
    ("POST", "/pharmacy/thaw"): ("pharmacist",),
    ("GET", "/pharmacy/prepare/<code>"): ("pharmacist",),
    ("POST", "/pharmacy/prepare/<code>"): ("pharmacist",),
    ("GET", "/pharmacy/bags/<bag_id>"): ("pharmacist",),
    ("GET", "/pharmacy/bags/<bag_id>/label.pdf"): ("pharmacist",),
    ("GET", "/pharmacy/bags/<bag_id>/label.zpl"): ("pharmacist",),
    ("POST", "/pharmacy/bags/<bag_id>/void"): ("pharmacist",),
    # ward: custody, scans, infusions (issue 6)
    ("POST", "/api/v1/bags/<bag_id>/handoffs"): ("pharmacist", "nurse"),
    ("GET", "/api/v1/bags/<bag_id>/custody"): ("pharmacist", "nurse", "qa", "investigator"),
    ("POST", "/api/v1/bags/<bag_id>/quarantine-decision"): ("pharmacist",),
    ("POST", "/api/v1/scans"): ("nurse",),
    ("POST", "/api/v1/infusions"): ("nurse",),
    ("GET", "/api/v1/infusions/<infusion_id>"): ("nurse", "investigator", "pharmacist", "qa"),
    ("PATCH", "/api/v1/infusions/<infusion_id>"): ("nurse",),
    ("GET", "/api/v1/reports/accountability"): ("qa", "pharmacist"),
    ("GET", "/api/v1/reports/accountability.csv"): ("qa", "pharmacist"),
    ("GET", "/api/v1/reports/accountability.pdf"): ("qa", "pharmacist"),
    ("GET", "/api/v1/bags/<bag_id>/custody.pdf"): ("pharmacist", "nurse", "qa", "investigator"),
    ("GET", "/api/v1/participants/<participant_id>/record.pdf"): (
        "investigator",
        "nurse",
        "pharmacist",
        "qa",
    ),
    ("GET", "/api/v1/exports/sdtm-ex.csv"): ("qa", "admin", "statistician"),
    ("GET", "/reports"): ("gmp", "qa", "pharmacist", "admin", "statistician", "nurse", "investigator"),
    ("GET", "/reports/accountability.csv"): ("qa", "pharmacist"),
    ("GET", "/reports/accountability.pdf"): ("qa", "pharmacist"),
    ("GET", "/reports/code-breaks.csv"): ("qa", "admin"),
    ("GET", "/reports/audit.csv"): ("qa", "admin"),
    ("GET", "/audit"): ("qa", "admin"),
    ("GET", "/reports/audit.pdf"): ("qa", "admin"),
    ("GET", "/reports/sdtm-ex.csv"): ("qa", "admin", "statistician"),
    ("GET", "/reports/custody.pdf"): ("pharmacist", "nurse", "qa", "investigator"),
    ("GET", "/reports/record.pdf"): ("investigator", "nurse", "pharmacist", "qa"),
    ("POST", "/pharmacy/bags/<bag_id>/label/send"): ("pharmacist",),
    ("GET", "/pharmacy/labels/sheet.pdf"): ("pharmacist",),
    ("GET", "/ward"): ("nurse",),
    ("POST", "/ward/scan"): ("nurse",),
    ("POST", "/ward/infusions"): ("nurse",),
    ("GET", "/ward/infusions/<infusion_id>"): ("nurse",),
    ("POST", "/ward/infusions/<infusion_id>/complete"): ("nurse",),
    ("GET", "/ward/receive"): ("nurse",),
    ("POST", "/ward/receive"): ("nurse",),
    ("GET", "/ward/bags/<bag_id>"): ("nurse", "qa", "investigator"),
    # a camera frame in, its code's text out, for any page with a scan field
    ("POST", "/scan/decode"): ALL,
    ("POST", "/pharmacy/bags/<bag_id>/dispatch"): ("pharmacist",),
    ("POST", "/pharmacy/bags/<bag_id>/quarantine"): ("pharmacist",),
    ("POST", "/pharmacy/bags/<bag_id>/destroy"): ("pharmacist",),
    ("POST", "/ward/bags/<bag_id>/handoff"): ("nurse",),
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
    ("POST", "/api/v1/randomization/lists/preview"): ("statistician",),
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
    # the pharmacy's stock: the issue in kits, the issued kits, the stock itself
    ("POST", "/api/v1/containers/issue"): ("gmp", "pharmacist"),
    ("GET", "/api/v1/kits"): ("gmp", "qa", "pharmacist"),
    ("GET", "/api/v1/stock"): ("pharmacist",),
    ("GET", "/kits"): ("gmp", "qa", "pharmacist"),
    ("GET", "/kits/issue"): ("gmp", "pharmacist"),
    ("POST", "/kits/issue"): ("gmp", "pharmacist"),
    ("GET", "/pharmacy/stock"): ("pharmacist",),
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
    # deviations and CAPA (issue 22): the raisers read, QA manages
    ("POST", "/api/v1/deviations"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    ("GET", "/api/v1/deviations"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    ("GET", "/api/v1/deviations/<deviation_id>"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    ("POST", "/api/v1/deviations/<deviation_id>/transition"): ("qa",),
    ("POST", "/api/v1/deviations/<deviation_id>/close"): ("qa",),
    ("GET", "/deviations"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    ("GET", "/deviations/new"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    ("POST", "/deviations/new"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    ("GET", "/deviations/<deviation_id>"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    ("POST", "/deviations/<deviation_id>/transition"): ("qa",),
    ("POST", "/deviations/<deviation_id>/close"): ("qa",),
    # the deviation log (issue 22): whoever reads the board
    ("GET", "/api/v1/reports/deviations.csv"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    ("GET", "/api/v1/reports/deviations.pdf"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    ("GET", "/reports/deviations.csv"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    ("GET", "/reports/deviations.pdf"): ("gmp", "qa", "pharmacist", "nurse", "investigator"),
    # adverse events at infusion (issue 22): nurses and investigators record, the investigator reports and
    # assesses, QA reads; the SDTM AE export as the EX one
    ("POST", "/api/v1/infusions/<infusion_id>/adverse-events"): ("nurse", "investigator"),
    ("GET", "/api/v1/adverse-events"): ("nurse", "investigator", "qa"),
    ("GET", "/api/v1/adverse-events/<ae_id>"): ("nurse", "investigator", "qa"),
    ("POST", "/api/v1/adverse-events/<ae_id>/sponsor-report"): ("investigator",),
    ("POST", "/api/v1/adverse-events/<ae_id>/assessment"): ("investigator",),
    ("GET", "/api/v1/exports/sdtm-ae.csv"): ("qa", "admin", "statistician"),
    ("GET", "/adverse-events"): ("nurse", "investigator", "qa"),
    ("GET", "/adverse-events/new"): ("nurse", "investigator"),
    ("POST", "/adverse-events/new"): ("nurse", "investigator"),
    ("GET", "/adverse-events/<ae_id>"): ("nurse", "investigator", "qa"),
    ("POST", "/adverse-events/<ae_id>/sponsor-report"): ("investigator",),
    ("POST", "/adverse-events/<ae_id>/assessment"): ("investigator",),
    # storage units and temperatures (issue 23): GMP and the pharmacy manage, QA reads; no blinded ward role
    ("POST", "/api/v1/storage-units"): ("gmp", "pharmacist"),
    ("GET", "/api/v1/storage-units"): ("gmp", "pharmacist", "qa"),
    ("GET", "/api/v1/storage-units/<unit_id>"): ("gmp", "pharmacist", "qa"),
    ("POST", "/api/v1/storage-units/<unit_id>/moves"): ("gmp", "pharmacist"),
    ("POST", "/api/v1/storage-units/<unit_id>/readings"): ("gmp", "pharmacist"),
    ("POST", "/api/v1/storage-units/<unit_id>/logger-imports"): ("gmp", "pharmacist"),
    ("GET", "/storage"): ("gmp", "pharmacist", "qa"),
    ("POST", "/storage"): ("gmp", "pharmacist"),
    ("GET", "/storage/<unit_id>"): ("gmp", "pharmacist", "qa"),
    ("POST", "/storage/<unit_id>/move"): ("gmp", "pharmacist"),
    ("POST", "/storage/<unit_id>/import"): ("gmp", "pharmacist"),
    # temperature reports (issue 23): as the storage pages
    ("GET", "/api/v1/reports/storage-units/<unit_id>/temperatures.csv"): ("gmp", "pharmacist", "qa"),
    ("GET", "/api/v1/reports/storage-units/<unit_id>/temperatures.pdf"): ("gmp", "pharmacist", "qa"),
    ("GET", "/api/v1/reports/time-out-of-range.csv"): ("gmp", "pharmacist", "qa"),
    ("GET", "/api/v1/reports/time-out-of-range.pdf"): ("gmp", "pharmacist", "qa"),
    ("GET", "/reports/storage-units/<unit_id>/temperatures.csv"): ("gmp", "pharmacist", "qa"),
    ("GET", "/reports/storage-units/<unit_id>/temperatures.pdf"): ("gmp", "pharmacist", "qa"),
    ("GET", "/reports/time-out-of-range.csv"): ("gmp", "pharmacist", "qa"),
    ("GET", "/reports/time-out-of-range.pdf"): ("gmp", "pharmacist", "qa"),
    # stock by site and lot (issue 23): the lab and QA plan supply from it, the pharmacy reads its own
    ("GET", "/api/v1/reports/stock-by-site"): ("gmp", "qa", "pharmacist"),
    ("GET", "/api/v1/reports/stock-by-site.csv"): ("gmp", "qa", "pharmacist"),
    ("GET", "/reports/stock-by-site"): ("gmp", "qa", "pharmacist"),
    ("GET", "/reports/stock-by-site.csv"): ("gmp", "qa", "pharmacist"),
    # container quarantine after an excursion (issue 23): QA decides; the lab and the pharmacy see the list
    ("POST", "/api/v1/containers/<container_id>/quarantine"): ("qa",),
    ("GET", "/api/v1/containers/quarantined"): ("gmp", "qa", "pharmacist"),
    ("POST", "/storage/quarantine/<container_id>"): ("qa",),
    # shipments (issue 23): GMP plans and dispatches, the pharmacy receives, QA reads; no blinded ward role
    ("POST", "/api/v1/shipments"): ("gmp",),
    ("GET", "/api/v1/shipments"): ("gmp", "pharmacist", "qa"),
    ("GET", "/api/v1/shipments/<shipment_id>"): ("gmp", "pharmacist", "qa"),
    ("POST", "/api/v1/shipments/<shipment_id>/dispatch"): ("gmp",),
    ("POST", "/api/v1/shipments/<shipment_id>/receipt"): ("pharmacist",),
    ("GET", "/shipments"): ("gmp", "pharmacist", "qa"),
    ("POST", "/shipments"): ("gmp",),
    ("GET", "/shipments/new"): ("gmp",),
    ("GET", "/shipments/<shipment_id>"): ("gmp", "pharmacist", "qa"),
    ("POST", "/shipments/<shipment_id>/dispatch"): ("gmp",),
    ("POST", "/shipments/<shipment_id>/receipt"): ("pharmacist",),
    ("POST", "/api/v1/shipments/<shipment_id>/quarantine-decision"): ("qa",),
    ("POST", "/shipments/<shipment_id>/quarantine-decision"): ("qa",),
    ("POST", "/api/v1/shipments/<shipment_id>/logger"): ("pharmacist",),
    ("POST", "/shipments/<shipment_id>/logger"): ("pharmacist",),
    ("GET", "/api/v1/shipments/<shipment_id>/receipt.csv"): ("gmp", "pharmacist", "qa"),
    ("GET", "/api/v1/shipments/<shipment_id>/receipt.pdf"): ("gmp", "pharmacist", "qa"),
    ("GET", "/shipments/<shipment_id>/receipt.csv"): ("gmp", "pharmacist", "qa"),
    ("GET", "/shipments/<shipment_id>/receipt.pdf"): ("gmp", "pharmacist", "qa"),
    # release with results pending (issue 22): what a lot touched; the investigator's safety code-breaks
    ("GET", "/api/v1/lots/<lot_number>/affected"): ("qa", "gmp", "admin", "pharmacist", "investigator"),
    ("GET", "/api/v1/code-breaks/safety"): ("investigator",),
    # the adverse event listing (issue 22): whoever reads the adverse events; SDTM AE's page as EX's
    ("GET", "/api/v1/reports/adverse-events.csv"): ("nurse", "investigator", "qa"),
    ("GET", "/api/v1/reports/adverse-events.pdf"): ("nurse", "investigator", "qa"),
    ("GET", "/reports/adverse-events.csv"): ("nurse", "investigator", "qa"),
    ("GET", "/reports/adverse-events.pdf"): ("nurse", "investigator", "qa"),
    ("GET", "/reports/sdtm-ae.csv"): ("qa", "admin", "statistician"),
    # FHIR R5, read-only (issue 24): whoever reads a bag's custody; the capability statement is public
    ("GET", "/fhir/metadata"): PUBLIC,
    ("GET", "/fhir/Patient/<participant_id>"): FHIR_READERS,
    ("GET", "/fhir/Patient/<participant_id>/$everything"): FHIR_READERS,
    ("GET", "/fhir/BiologicallyDerivedProduct/<bag_id>"): FHIR_READERS,
    ("GET", "/fhir/BiologicallyDerivedProductDispense"): FHIR_READERS,
    ("GET", "/fhir/BiologicallyDerivedProductDispense/<dispense_id>"): FHIR_READERS,
    ("GET", "/fhir/MedicationAdministration"): FHIR_READERS,
    ("GET", "/fhir/MedicationAdministration/<infusion_id>"): FHIR_READERS,
    ("GET", "/fhir/Provenance"): FHIR_READERS,
    ("GET", "/fhir/Provenance/<provenance_id>"): FHIR_READERS,
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


GUARDED_API = sorted(
    (m, r, roles) for (m, r), roles in EXPECTED.items() if roles and r.startswith(API_PREFIXES)
)
GUARDED_PAGES = sorted(
    (m, r, roles) for (m, r), roles in EXPECTED.items() if roles and not r.startswith(API_PREFIXES)
)


def _error_code(response) -> str:
    """The tracker's error code: in the contract's body, or in a FHIR OperationOutcome's issue."""
    body = response.json
    if body.get("resourceType") == "OperationOutcome":
        return body["issue"][0]["details"]["coding"][0]["code"]
    return body["error"]["code"]


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
        assert _error_code(response) == "wrong_role"


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


# ---- a record that does not exist --------------------------------------------------------------------------
# Routes whose path names a record (a lot, a participant, a container): every allowed role asking about one
# that does not exist gets 404 in the contract's error shape, never 403 or 500. The request is otherwise
# valid (a body that passes validation), so that the answer is about the record. A new route naming a record
# fails test_every_route_naming_a_record_has_a_valid_request until it is listed here.

# Well-formed IDs (right shape and check character) that name nothing.
MISSING = {
    "<lot_number>": "NO-SUCH-LOT", "<participant_id>": "P-404", "<bag_id>": "B2222222222L",
    "<thaw_id>": "T2222222227", "<code>": "RZZZZZZ", "<list_id>": "404", "<infusion_id>": "I222222222N",
    "<username>": "nosuchuser", "<deviation_id>": "D22222222X", "<ae_id>": "AE-22222222H",
    "<unit_id>": "NO-SUCH-UNIT", "<shipment_id>": "SH22222222X",
    "<dispense_id>": "B2222222222L-issue-1", "<provenance_id>": "audit-999999",
}  # fmt: skip

RECORD_REQUESTS: dict[tuple[str, str], dict] = {
    ("GET", "/api/v1/participants/<participant_id>"): {},
    ("POST", "/api/v1/participants/<participant_id>/unblind"): {"reason": "SAE", "password": "{password}"},
    ("GET", "/api/v1/lots/<lot_number>"): {},
    ("GET", "/api/v1/lots/<lot_number>/certificate.pdf"): {},
    ("GET", "/api/v1/lots/<lot_number>/affected"): {},
    ("POST", "/api/v1/lots/<lot_number>/qc-results"): {"test": "endotoxin", "value": 0.1},
    ("POST", "/api/v1/lots/<lot_number>/release"): {"password": "{password}", "meaning": "ok"},
    ("POST", "/api/v1/lots/<lot_number>/reject"): {"password": "{password}", "reason": "failed"},
    ("POST", "/api/v1/lots/<lot_number>/recall"): {"password": "{password}", "reason": "deviation"},
    ("POST", "/api/v1/containers/<container_id>/handoffs"): {"action": "issue", "location": "Pharmacy"},
    ("GET", "/api/v1/containers/<container_id>/custody"): {},
    ("GET", "/lots/<lot_number>"): {},
    ("GET", "/lots/<lot_number>/qc"): {},
    ("POST", "/lots/<lot_number>/qc"): {"test": "endotoxin", "value": "0.1"},
    ("GET", "/lots/<lot_number>/sign"): {},
    ("POST", "/lots/<lot_number>/sign"): {"action": "release", "password": "{password}", "meaning": "ok"},
    ("GET", "/lots/<lot_number>/boxes"): {},
    ("POST", "/lots/<lot_number>/handoff"): {
        "container_id": "{container_id}", "action": "issue", "location": "Pharmacy",
    },
    ("GET", "/lots/<lot_number>/certificate.pdf"): {},
    ("GET", "/api/v1/thaws/<thaw_id>"): {},
    ("GET", "/api/v1/bags/<bag_id>"): {},
    ("POST", "/api/v1/bags/<bag_id>/void"): {"reason": "dropped"},
    ("GET", "/api/v1/bags/<bag_id>/label.pdf"): {},
    ("GET", "/api/v1/bags/<bag_id>/label.zpl"): {},
    ("POST", "/api/v1/bags/<bag_id>/label/send"): {"reason": "jammed"},
    ("GET", "/pharmacy/prepare/<code>"): {},
    ("POST", "/pharmacy/prepare/<code>"): {"placebo_lot": "VEH-0001", "final_volume_ml": "100"},
    ("GET", "/pharmacy/bags/<bag_id>"): {},
    ("GET", "/pharmacy/bags/<bag_id>/label.pdf"): {},
    ("GET", "/pharmacy/bags/<bag_id>/label.zpl"): {},
    ("POST", "/pharmacy/bags/<bag_id>/void"): {"reason": "dropped"},
    ("POST", "/pharmacy/bags/<bag_id>/label/send"): {"reason": "jammed"},
    ("GET", "/participants/<participant_id>"): {},
    ("POST", "/api/v1/bags/<bag_id>/handoffs"): {"action": "receive", "location": "Ward 5"},
    ("GET", "/api/v1/bags/<bag_id>/custody"): {},
    ("GET", "/api/v1/bags/<bag_id>/custody.pdf"): {},
    ("GET", "/api/v1/participants/<participant_id>/record.pdf"): {},
    ("POST", "/api/v1/bags/<bag_id>/quarantine-decision"): {"decision": "release", "reason": "ok"},
    ("GET", "/api/v1/infusions/<infusion_id>"): {},
    ("PATCH", "/api/v1/infusions/<infusion_id>"): {"completed_at": "2026-01-01T10:00:00+00:00"},
    ("GET", "/ward/infusions/<infusion_id>"): {},
    ("POST", "/ward/infusions/<infusion_id>/complete"): {"volume_infused_ml": "95", "note": "fine"},
    ("GET", "/ward/bags/<bag_id>"): {},
    ("POST", "/pharmacy/bags/<bag_id>/dispatch"): {"location": "Ward 5"},
    ("POST", "/pharmacy/bags/<bag_id>/quarantine"): {"decision": "release", "reason": "checked"},
    ("POST", "/pharmacy/bags/<bag_id>/destroy"): {"location": "Pharmacy", "reason": "dropped"},
    ("POST", "/ward/bags/<bag_id>/handoff"): {"action": "return", "location": "Pharmacy"},
    ("GET", "/randomization/lists/<list_id>/export.csv"): {},
    ("GET", "/api/v1/randomization/lists/<list_id>/export.csv"): {},
    ("GET", "/api/v1/users/<username>"): {},
    ("PATCH", "/api/v1/users/<username>"): {"active": False, "reason": "left", "password": "{password}"},
    ("POST", "/api/v1/users/<username>/password-reset"): {"reason": "forgot", "password": "{password}"},
    ("POST", "/api/v1/users/<username>/unlock"): {"reason": "locked"},
    ("GET", "/admin/users/<username>"): {},
    ("POST", "/admin/users/<username>"): {"action": "disable", "reason": "left", "password": "{password}"},
    ("POST", "/admin/users/<username>/password-reset"): {"reason": "forgot", "password": "{password}"},
    ("POST", "/admin/users/<username>/unlock"): {"reason": "locked"},
    ("GET", "/api/v1/deviations/<deviation_id>"): {},
    ("POST", "/api/v1/deviations/<deviation_id>/transition"): {"to": "under_investigation"},
    ("POST", "/api/v1/deviations/<deviation_id>/close"): {"password": "{password}", "meaning": "closed"},
    ("GET", "/deviations/<deviation_id>"): {},
    ("POST", "/deviations/<deviation_id>/transition"): {"to": "under_investigation"},
    ("POST", "/deviations/<deviation_id>/close"): {"password": "{password}", "meaning": "closed"},
    ("GET", "/api/v1/storage-units/<unit_id>"): {},
    ("POST", "/api/v1/storage-units/<unit_id>/moves"): {
        "container_id": "{container_id}", "rack": "R1", "box": "B1", "position": "A1",
    },
    ("POST", "/api/v1/storage-units/<unit_id>/readings"): {
        "readings": [{"at": "2026-01-01T00:00:00+00:00", "temperature_c": -190}],
    },
    ("POST", "/api/v1/storage-units/<unit_id>/logger-imports"): {},
    ("GET", "/storage/<unit_id>"): {},
    ("POST", "/storage/<unit_id>/move"): {"container_id": "{container_id}", "rack": "R1", "box": "B1",
                                          "position": "A1"},
    ("POST", "/storage/<unit_id>/import"): {},
    ("GET", "/api/v1/reports/storage-units/<unit_id>/temperatures.csv"): {},
    ("GET", "/api/v1/reports/storage-units/<unit_id>/temperatures.pdf"): {},
    ("GET", "/reports/storage-units/<unit_id>/temperatures.csv"): {},
    ("GET", "/reports/storage-units/<unit_id>/temperatures.pdf"): {},
    ("POST", "/api/v1/containers/<container_id>/quarantine"): {
        "decision": "release", "reason": "checked", "password": "{password}",
    },
    ("POST", "/storage/quarantine/<container_id>"): {
        "decision": "release", "reason": "checked", "password": "{password}",
    },
    ("POST", "/api/v1/infusions/<infusion_id>/adverse-events"): {
        "onset_at": "2026-01-01T10:00:00+00:00", "description": "Flushing", "grade": 1, "serious": False,
        "actions_taken": ["none"],
    },
    ("GET", "/api/v1/adverse-events/<ae_id>"): {},
    ("POST", "/api/v1/adverse-events/<ae_id>/sponsor-report"): {"reported_at": "2026-01-01T10:00:00+00:00"},
    ("POST", "/api/v1/adverse-events/<ae_id>/assessment"): {"causality": "possible", "outcome": "recovering"},
    ("GET", "/adverse-events/<ae_id>"): {},
    ("GET", "/api/v1/shipments/<shipment_id>"): {},
    ("POST", "/api/v1/shipments/<shipment_id>/dispatch"): {},
    ("POST", "/api/v1/shipments/<shipment_id>/receipt"): {"container_ids": []},
    ("GET", "/shipments/<shipment_id>"): {},
    ("POST", "/shipments/<shipment_id>/dispatch"): {},
    ("POST", "/shipments/<shipment_id>/receipt"): {},
    ("POST", "/api/v1/shipments/<shipment_id>/quarantine-decision"): {
        "decision": "release", "reason": "checked", "password": "{password}",
    },
    ("POST", "/shipments/<shipment_id>/quarantine-decision"): {
        "decision": "release", "reason": "checked", "password": "{password}",
    },
    ("POST", "/api/v1/shipments/<shipment_id>/logger"): {"logger_csv": "time,temperature\n"},
    ("POST", "/shipments/<shipment_id>/logger"): {},
    ("GET", "/api/v1/shipments/<shipment_id>/receipt.csv"): {},
    ("GET", "/api/v1/shipments/<shipment_id>/receipt.pdf"): {},
    ("GET", "/shipments/<shipment_id>/receipt.csv"): {},
    ("GET", "/shipments/<shipment_id>/receipt.pdf"): {},
    ("POST", "/adverse-events/<ae_id>/sponsor-report"): {"reported_at": "2026-01-01T10:00"},
    ("POST", "/adverse-events/<ae_id>/assessment"): {"causality": "possible", "outcome": "recovering"},
    ("PATCH", "/api/v1/sites/<code>"): {"name": "Renamed"},
    ("POST", "/admin/sites/<code>"): {"name": "Renamed"},
    ("GET", "/fhir/Patient/<participant_id>"): {},
    ("GET", "/fhir/Patient/<participant_id>/$everything"): {},
    ("GET", "/fhir/BiologicallyDerivedProduct/<bag_id>"): {},
    ("GET", "/fhir/BiologicallyDerivedProductDispense/<dispense_id>"): {},
    ("GET", "/fhir/MedicationAdministration/<infusion_id>"): {},
    ("GET", "/fhir/Provenance/<provenance_id>"): {},
}  # fmt: skip

NAMING_A_RECORD = sorted(
    (m, r, roles) for (m, r), roles in EXPECTED.items() if roles and re.search(r"<(?!path:)", r)
)


def _missing_container_id() -> str:
    from tracker.lots.rules import container_id_from, is_container_id

    container_id = container_id_from("000000000")
    assert is_container_id(container_id)
    return container_id


def _missing_url(rule: str) -> str:
    url = rule
    for name, value in {**MISSING, "<container_id>": _missing_container_id()}.items():
        url = url.replace(name, value)
    return url


def _filled(body: dict) -> dict:
    from tests.conftest import PASSWORD

    values = {"password": PASSWORD, "container_id": _missing_container_id()}
    return {k: v.format(**values) if isinstance(v, str) else v for k, v in body.items()}


def test_every_route_naming_a_record_has_a_valid_request():
    assert {(m, r) for m, r, _ in NAMING_A_RECORD} == set(RECORD_REQUESTS)


@pytest.mark.parametrize(
    ("method", "rule", "roles"), [r for r in NAMING_A_RECORD if r[1].startswith("/api/")]
)
def test_api_routes_answer_404_in_the_error_shape_for_a_record_that_does_not_exist(
    client, login, method, rule, roles
):
    for role in roles:
        signed_in = login(role)
        response = client.open(
            _missing_url(rule),
            method=method,
            json=_filled(RECORD_REQUESTS[(method, rule)]) if method != "GET" else None,
            headers={"Authorization": f"Bearer {signed_in.token}"},
        )
        assert response.status_code == 404, f"{role} {method} {rule}: {response.status_code} {response.json}"
        body = response.json
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message", "details"}
        assert re.fullmatch(r"[a-z][a-z0-9_]*", body["error"]["code"])  # a stable snake_case code
        assert isinstance(body["error"]["message"], str)
        assert body["error"]["message"]
        assert isinstance(body["error"]["details"], dict)


@pytest.mark.parametrize(
    ("method", "rule", "roles"), [r for r in NAMING_A_RECORD if not r[1].startswith(API_PREFIXES)]
)
def test_pages_answer_404_with_the_error_page_for_a_record_that_does_not_exist(
    app, make_user, method, rule, roles
):
    from tests.conftest import PASSWORD

    for role in roles:
        client = app.test_client()
        signed_in = client.post(
            "/login",
            data={"username": make_user(role), "password": PASSWORD, **_form(client, "POST")["data"]},
        )
        assert signed_in.status_code == 302
        form = {**_filled(RECORD_REQUESTS[(method, rule)]), **_form(client, method).get("data", {})}
        response = client.open(_missing_url(rule), method=method, data=form if method == "POST" else None)
        assert response.status_code == 404, f"{role} {method} {rule}: {response.status_code}"
        assert response.mimetype == "text/html"
        assert re.search(rb"<code>[a-z][a-z0-9_]*</code>", response.data), response.data[:500]


@pytest.mark.parametrize(
    ("method", "rule", "roles"), [r for r in NAMING_A_RECORD if r[1].startswith("/fhir/")]
)
def test_fhir_routes_answer_404_as_an_operation_outcome_for_a_record_that_does_not_exist(
    client, login, method, rule, roles
):
    for role in roles:
        signed_in = login(role)
        response = client.open(
            _missing_url(rule), method=method, headers={"Authorization": f"Bearer {signed_in.token}"}
        )
        assert response.status_code == 404, f"{role} {method} {rule}: {response.status_code} {response.json}"
        assert response.mimetype == "application/fhir+json"
        issue = response.json["issue"][0]
        assert issue["code"] == "not-found"
        assert re.fullmatch(r"[a-z][a-z0-9_]*", issue["details"]["coding"][0]["code"])
        assert issue["details"]["text"]
