"""Accessibility: axe-core (axe-playwright-python) on every page each role can open without a record in its
address, at desktop (1280×800) and tablet (768×1024) size; any serious or critical violation fails. A few
records (lots released and in quarantine, issued kits, a randomization list, an enrolled participant) fill the
lists and tables, so their rows and badges are checked too."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.integration.randomization_support import import_list, list_rows
from tests.lots_support import create_lot, enter_results, issue_kits, passing_lot
from tracker.roles import ROLES

SIZES = ({"width": 1280, "height": 800}, {"width": 768, "height": 1024})
FAILING_IMPACTS = {"serious", "critical"}
NOT_HTML = (".csv", ".pdf", ".zpl", ".json")

AXE = Axe()


def pages_for(app: Any, role: str) -> list[str]:
    """GET pages `role` may open whose address names no record: from the URL map and each view's guard, as
    tests/integration/test_role_matrix.py reads them."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static/")):
            continue
        if "<" in rule.rule or rule.rule.endswith(NOT_HTML):
            continue
        roles = getattr(app.view_functions[rule.endpoint], "required_roles", ()) or ROLES
        if role in roles:
            urls.add(rule.rule)
    return sorted(urls)


def _records(login: Any, runner: Any, tmp_path: Any) -> None:
    gmp, qa = login("gmp"), login("qa")
    cells = passing_lot(gmp, "UC-0001")
    qa.post("/api/v1/lots/UC-0001/release", json={"password": PASSWORD, "meaning": "ok"})
    vehicle = passing_lot(gmp, "VH-0002", "placebo")
    qa.post("/api/v1/lots/VH-0002/release", json={"password": PASSWORD, "meaning": "ok"})
    create_lot(gmp, "VH-0001", "placebo")
    enter_results(gmp, "VH-0001", {"endotoxin": 0.9})  # a failing result: a lot in quarantine
    issue_kits(
        gmp,
        [c["container_id"] for c in cells["containers"][:2]],
        [c["container_id"] for c in vehicle["containers"][:2]],
    )
    import_list(runner, tmp_path, list_rows(per_stratum=2))
    enrolled = login("investigator").post(
        "/api/v1/participants", json={"participant_id": "P-001", "stratum": "A"}
    )
    assert enrolled.status_code == 201, enrolled.json


def _violations(page: Any) -> list[dict]:
    found = AXE.run(page).response["violations"]
    return [v for v in found if v.get("impact") in FAILING_IMPACTS]


def _describe(url: str, size: dict, violation: dict) -> str:
    nodes = "; ".join(
        f"{' '.join(node['target'])}: {node.get('failureSummary', '').replace(chr(10), ' ')}"
        for node in violation["nodes"][:5]
    )
    more = f" (+{len(violation['nodes']) - 5} more)" if len(violation["nodes"]) > 5 else ""
    return (
        f"{url} at {size['width']}×{size['height']}: {violation['id']} ({violation['impact']}) "
        f"{violation['help']}: {nodes}{more}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_no_serious_or_critical_axe_violation_on_any_page_of_the_role(
    app, make_user, login, runner, tmp_path, sign_in, page, live_server, role
):
    _records(login, runner, tmp_path)
    urls = pages_for(app, role)
    assert "/" in urls
    sign_in(make_user(role))  # one browser context per role (the page fixture), reused for every page
    problems: list[str] = []
    checked = 0
    for url in urls:
        page.set_viewport_size(SIZES[0])
        response = page.goto(f"{live_server}{url}")
        assert response is not None
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        assert response.ok, f"{role} {url}: {response.status}"
        for size in SIZES:  # the same document at each size: a resize lays it out again, no reload needed
            page.set_viewport_size(size)
            problems += [_describe(url, size, v) for v in _violations(page)]
        checked += 1
    assert checked >= 2
    assert not problems, f"{role}: {len(problems)} serious or critical violations\n" + "\n".join(problems)


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(make_user, sign_in, page, live_server):
    sign_in(make_user("nurse"))
    page.goto(f"{live_server}/")  # a loaded page: Tab must not land in the sign-in form still on screen
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # out of sight until focused
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    nav = page.get_by_role("navigation", name="Workspaces")
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")


def test_on_a_tablet_touch_targets_are_44_px_high_and_scan_fields_full_width(
    make_user, sign_in, page, live_server
):
    sign_in(make_user("nurse"))
    page.set_viewport_size(SIZES[1])
    page.goto(f"{live_server}/ward/receive")
    targets = page.locator("header a, header button, main button, label.choice")
    low = []
    for i in range(targets.count()):
        box = targets.nth(i).bounding_box()
        if box is not None and box["height"] < 44:
            low.append(f"{targets.nth(i).inner_text()!r}: {box['height']:.0f} px")
    assert targets.count() >= 8
    assert low == []
    field = page.locator("input[data-scan]").first.bounding_box()
    card = page.locator("main .card").first.bounding_box()
    assert field["width"] > 0.85 * card["width"]
    assert card["width"] > 0.85 * SIZES[1]["width"]
