"""Sites: a person bound to some sites sees and acts on those sites only, on every route of the API and the
pages; routes of the whole trial (the audit trail, accounts, sites, randomization lists) refuse them; a
shipment moves containers from the GMP lab's site to a hospital's, and only then do they show there."""

import re
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.integration.randomization_support import import_list, list_rows
from tests.integration.test_security import allowed_roles, csrf_token, page_rules, records  # noqa: F401
from tests.lots_support import passing_lot
from tests.pdf_support import pdf_text
from tests.sites_support import add_site
from tracker.roles import ROLES

# Every route that serves the whole trial: a person bound to sites gets 403 `trial_wide_only`.
TRIAL_WIDE = {
    "/api/v1/audit", "/api/v1/audit/export.csv", "/api/v1/audit/export.pdf", "/api/v1/audit/unblinded",
    "/api/v1/users", "/api/v1/users/<username>", "/api/v1/users/<username>/password-reset",
    "/api/v1/users/<username>/unlock", "/api/v1/reports/access-review", "/api/v1/reports/access-review.csv",
    "/api/v1/reports/access-review.pdf", "/api/v1/sites/<code>",
    "/api/v1/randomization/lists", "/api/v1/randomization/lists/import",
    "/api/v1/randomization/lists/preview",
    "/api/v1/randomization/lists/<list_id>/export.csv",
    "/audit", "/reports/audit.csv", "/reports/audit.pdf", "/reports/access-review.csv",
    "/reports/access-review.pdf", "/admin/users", "/admin/users/<username>",
    "/admin/users/<username>/password-reset", "/admin/users/<username>/unlock", "/admin/sites",
    "/admin/sites/<code>", "/randomization", "/randomization/generate", "/randomization/import",
    "/randomization/lists/<list_id>/export.csv",
}  # fmt: skip
# POST /api/v1/sites is the admin's alone; GET /api/v1/sites is every person's list of sites.
TRIAL_WIDE_METHODS = {("POST", "/api/v1/sites")}


def _trial_wide(rule: Any, method: str) -> bool:
    return rule.rule in TRIAL_WIDE or (method, rule.rule) in TRIAL_WIDE_METHODS


def test_the_routes_of_the_whole_trial_are_declared_so(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert getattr(view, "trial_wide", False) == _trial_wide(rule, method), f"{method} {rule.rule}"


@pytest.fixture
def elsewhere(app, login, records):  # noqa: F811
    """People of every role bound to other sites than the one every record of `records` belongs to."""
    add_site(login, "GMP-02", "manufacturing")
    return {role: login(role, sites=("GMP-02",) if role in ("gmp", "qa") else ("SITE-03",)) for role in ROLES}


def _text(response: Any) -> str:
    """What an answer says: a PDF's text, or the body."""
    if response.mimetype == "application/pdf":
        return pdf_text(response.data)
    return response.get_data().decode("utf-8", errors="replace")


def _api_url(rule: str, records: dict[str, str]) -> str:  # noqa: F811
    names = {"code": "SITE-01", "username": "nobody", "thaw_id": records.get("thaw_id", "TNOTHAW"), **records}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: names[m.group(1)], rule)


def test_a_person_of_another_site_finds_none_of_its_records_on_any_api_route(app, records, elsewhere):  # noqa: F811
    """Every API route a role may use, asked by that role at another site: a route of one record answers
    404 (it does not exist for them) or 403 (a trial-wide route); a list holds none of the site's IDs."""
    site_ids = [records[k] for k in ("participant_id", "bag_id", "infused_bag_id", "container_id",
                                     "infusion_id", "deviation_id", "ae_id", "unit_id", "thaw_id")
                if k in records] + ["UC-0001", "VH-0001"]  # fmt: skip
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule.startswith("/api/v1/auth"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in allowed_roles(app, rule):
                person = elsewhere[role]
                url = _api_url(rule.rule, records)
                call = getattr(person, method.lower())
                response = call(url) if method in ("GET", "DELETE") else call(url, json={})
                body = _text(response)
                what = f"{role} {method} {url}: {response.status_code} {body[:200]}"
                if _trial_wide(rule, method):
                    assert response.status_code == 403, what
                    assert response.json["error"]["code"] == "trial_wide_only", what
                elif "<" in rule.rule and rule.rule != "/api/v1/sites/<code>":
                    assert response.status_code in (404, 422), what  # unknown, or refused before looking
                    # the message may repeat the ID asked for, nothing else of the site
                    assert not [i for i in site_ids if i in body and i not in url], what
                else:
                    assert response.status_code < 500, what
                    assert not [i for i in site_ids if i in body], what
                checked += 1
    assert checked > 100


def _page_client(app: Any, make_user: Any, role: str, sites: tuple[str, ...]) -> Any:
    client = app.test_client()
    name = make_user(role, sites=sites)
    signed_in = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert signed_in.status_code == 302
    return client


def test_a_person_of_another_site_finds_none_of_its_records_on_any_page(app, make_user, records, elsewhere):  # noqa: F811
    site_ids = [
        records[k]
        for k in (
            "participant_id",
            "bag_id",
            "infused_bag_id",
            "container_id",
            "infusion_id",
            "deviation_id",
            "ae_id",
            "unit_id",
        )
    ] + ["UC-0001", "VH-0001"]
    clients = {
        role: _page_client(app, make_user, role, ("GMP-02",) if role in ("gmp", "qa") else ("SITE-03",))
        for role in ROLES
    }
    opened = 0
    for rule in page_rules(app, "GET"):
        url = _api_url(rule.rule, records)
        for role in allowed_roles(app, rule):
            response = clients[role].get(url)
            body = _text(response)
            what = f"{role} GET {url}: {response.status_code}"
            if _trial_wide(rule, "GET"):
                assert response.status_code == 403, what
            elif "<" in rule.rule:
                assert response.status_code in (404, 409, 422), what  # unknown, or refused
            else:
                assert response.status_code in (200, 302, 422), what
            assert not [i for i in site_ids if i in body and i not in url], what
            response.close()
            opened += 1
    assert opened > 50


def test_kits_shipped_to_a_hospital_show_there_once_received_and_its_people_see_their_participants_only(
    login, runner, tmp_path
):
    gmp, qa = login("gmp"), login("qa")
    cells = [c["container_id"] for c in passing_lot(gmp, "UC-S100", "ucmsc")["containers"]]
    vehicle = [c["container_id"] for c in passing_lot(gmp, "PL-S100", "placebo")["containers"]]
    for lot in ("UC-S100", "PL-S100"):
        assert (
            qa.post(f"/api/v1/lots/{lot}/release", json={"password": PASSWORD, "meaning": "ok"}).status_code
            == 200
        )
    add_site(login, "BJ-01", name="Beijing hospital")
    add_site(login, "SH-02", name="Shanghai hospital")
    bj_pharmacist = login("pharmacist", sites=("BJ-01",))
    sh_pharmacist = login("pharmacist", sites=("SH-02",))
    lab_gmp = login("gmp", sites=("SITE-01",))

    planned = lab_gmp.post(
        "/api/v1/shipments", json={"destination_site": "BJ-01", "container_ids": [cells[0], vehicle[0]]}
    )
    assert planned.status_code == 201, planned.json
    assert planned.json["from_site"] == "SITE-01"
    assert planned.json["destination_site"] == "BJ-01"
    sid = planned.json["shipment_id"]
    assert sh_pharmacist.get(f"/api/v1/shipments/{sid}").status_code == 404  # another hospital's shipment
    assert bj_pharmacist.get(f"/api/v1/shipments/{sid}").status_code == 200
    assert bj_pharmacist.get(f"/api/v1/containers/{cells[0]}/custody").status_code == 404  # still at the lab
    assert lab_gmp.post(f"/api/v1/shipments/{sid}/dispatch").status_code == 200
    received = bj_pharmacist.post(
        f"/api/v1/shipments/{sid}/receipt", json={"container_ids": [cells[0], vehicle[0]]}
    )
    assert received.status_code == 200, received.json
    assert received.json["issued"] == [cells[0], vehicle[0]]
    bj_stock = {
        c["container_id"]
        for kit in bj_pharmacist.get("/api/v1/stock").json["kits"]
        for c in kit["containers"]
    }
    sh_stock = {
        c["container_id"]
        for kit in sh_pharmacist.get("/api/v1/stock").json["kits"]
        for c in kit["containers"]
    }
    assert {cells[0], vehicle[0]} <= bj_stock
    assert not sh_stock & {cells[0], vehicle[0]}
    lab_lot = {c["container_id"] for c in lab_gmp.get("/api/v1/lots/UC-S100").json["containers"]}
    assert cells[0] not in lab_lot
    assert cells[1] in lab_lot

    # Participants belong to the hospital that enrols them.
    import_list(runner, tmp_path, list_rows(per_stratum=2))
    bj_investigator = login("investigator", sites=("BJ-01",))
    sh_nurse, bj_nurse = login("nurse", sites=("SH-02",)), login("nurse", sites=("BJ-01",))
    refused = bj_investigator.post(
        "/api/v1/participants", json={"participant_id": "P-900", "stratum": "A", "site": "SH-02"}
    )
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "not_your_site"
    enrolled = bj_investigator.post("/api/v1/participants", json={"participant_id": "P-900", "stratum": "A"})
    assert enrolled.status_code == 201, enrolled.json
    assert enrolled.json["site"] == "BJ-01"  # the investigator's only site
    assert sh_nurse.get("/api/v1/participants/P-900").status_code == 404
    assert bj_nurse.get("/api/v1/participants/P-900").json["site"] == "BJ-01"
    twin = login("investigator", sites=("SH-02",)).post(
        "/api/v1/participants", json={"participant_id": "p-900", "stratum": "A"}
    )
    assert twin.status_code == 409  # an ID is the trial's: enrolled at another site is enrolled


def test_the_admin_adds_sites_and_binds_people_to_them(login, runner, client):
    admin = login("admin")
    assert (
        admin.post("/api/v1/sites", json={"code": "bj-01", "name": "Beijing", "kind": "clinical"}).status_code
        == 201
    )
    again = admin.post("/api/v1/sites", json={"code": "BJ-01", "name": "Beijing", "kind": "clinical"})
    assert again.status_code == 409
    bad = admin.post("/api/v1/sites", json={"code": "BJ 01!", "name": "x", "kind": "clinical"})
    assert bad.status_code == 422
    sites = {s["code"]: s for s in login("nurse").get("/api/v1/sites").json["items"]}
    assert sites["BJ-01"]["kind"] == "clinical"
    assert "SITE-01" in sites
    renamed = admin.patch("/api/v1/sites/SITE-01", json={"name": "GMP lab, Kunming", "kind": "manufacturing"})
    assert renamed.status_code == 200
    assert renamed.json["kind"] == "manufacturing"

    added = runner.invoke(
        args=["user", "add", "li.na", "--role", "nurse", "--site", "BJ-01"], input="Velvet-Otter-Canal-8\n"
    )
    assert added.exit_code == 0, added.output
    assert "at BJ-01" in added.output
    unknown = runner.invoke(
        args=["user", "add", "wang", "--role", "nurse", "--site", "XX-9"], input="Velvet-Otter-Canal-8\n"
    )
    assert unknown.exit_code != 0
    assert "XX-9" in unknown.output
    account = admin.get("/api/v1/users/li.na").json
    assert account["sites"] == ["BJ-01"]
    moved = admin.patch("/api/v1/users/li.na", json={"sites": ["SITE-01", "BJ-01"], "reason": "covers both",
                                                     "password": PASSWORD})  # fmt: skip
    assert moved.status_code == 200, moved.json
    assert admin.get("/api/v1/users/li.na").json["sites"] == ["SITE-01", "BJ-01"]
    whole = admin.patch(
        "/api/v1/users/li.na", json={"sites": [], "reason": "trial-wide", "password": PASSWORD}
    )
    assert whole.status_code == 200
    assert admin.get("/api/v1/users/li.na").json["sites"] == []
    site_admin = login("admin", sites=("BJ-01",))
    assert site_admin.get("/api/v1/users").json["error"]["code"] == "trial_wide_only"
    listed = runner.invoke(args=["site", "list"])
    assert "BJ-01\tclinical\tBeijing" in listed.output
    events = admin.get("/api/v1/audit?entity_type=site").json["events"]
    assert [e["action"] for e in events] == ["create", "create", "change_site"]


def test_the_admin_gives_a_person_sites_on_the_accounts_pages(app, login, browse, make_user):
    add_site(login, "BJ-01", name="Beijing hospital")
    admin = browse("admin")
    assert "BJ-01 · Beijing hospital" in admin.get("/admin/users").get_data(as_text=True)
    added = admin.submit(
        "/admin/users",
        {
            "username": "zhao.lei",
            "full_name": "Zhao Lei",
            "role": "nurse",
            "sites": "BJ-01",
            "password": PASSWORD,
        },
    )
    assert added.status_code == 201, added.get_data(as_text=True)[:500]
    api_admin = login("admin")
    assert api_admin.get("/api/v1/users/zhao.lei").json["sites"] == ["BJ-01"]
    changed = admin.submit(
        "/admin/users/zhao.lei",
        {"action": "update", "role": "nurse", "full_name": "Zhao Lei", "reason": "moved to the whole trial",
         "password": PASSWORD},
    )  # fmt: skip
    assert changed.status_code == 200
    assert api_admin.get("/api/v1/users/zhao.lei").json["sites"] == []  # nothing ticked: the whole trial
    # A person bound to a site is not offered the workspaces of the whole trial.
    site_qa = _page_client(app, make_user, "qa", ("BJ-01",))
    home = site_qa.get("/").get_data(as_text=True)
    assert 'href="/deviations"' in home
    assert 'href="/audit"' not in home
    trial_qa = browse("qa")
    assert 'href="/audit"' in trial_qa.get("/").get_data(as_text=True)
