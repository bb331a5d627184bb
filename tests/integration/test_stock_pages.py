"""The stock's pages: the kit issue page (gmp, pharmacist), the issued kits (gmp, qa, pharmacist) and the
pharmacy's stock (pharmacist), each refused to every other role; what each reader sees of containers."""

from __future__ import annotations

import re

import pytest

from tests.pharmacy_support import CELL_LOT, VEHICLE_LOT, build_trial
from tracker.roles import ROLES

PAGES = {
    "/kits": ("gmp", "qa", "pharmacist"),
    "/kits/issue": ("gmp", "pharmacist"),
    "/pharmacy/stock": ("pharmacist",),
}


@pytest.fixture
def trial(login, runner, tmp_path):
    """Two kits issued to the pharmacy; six cell and six vehicle containers still in the lab's store."""
    return build_trial(login, runner, tmp_path, kits=2)


@pytest.mark.parametrize(("url", "roles"), PAGES.items())
def test_the_stock_pages_open_for_their_roles_and_no_other(trial, browse, url, roles):
    for role in ROLES:
        response = browse(role).get(url)
        if role in roles:
            assert response.status_code == 200, (role, url)
            assert response.mimetype == "text/html"
        else:
            assert response.status_code == 403, (role, url)


def test_the_issue_page_issues_one_kit_chosen_container_by_container(trial, browse):
    lab = browse("gmp")
    page = lab.get("/kits/issue").get_data(as_text=True)
    assert "A kit is 1 × UC-MSC, 1 × vehicle" in page
    cell, vehicle = trial.cell_containers[2], trial.vehicle_containers[2]
    assert f'<option value="{cell}" selected>' in page  # the next in store is offered first
    response = lab.submit(
        "/kits/issue", {"mode": "containers", "container_ids": [cell, vehicle], "location": "Pharmacy"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    done = response.get_data(as_text=True)
    assert "Issued to Pharmacy" in done
    assert f"{cell}, {vehicle}" in done
    kits = trial.qa.get("/api/v1/kits").json["items"]
    assert [c["container_id"] for c in kits[-1]["containers"]] == [cell, vehicle]


def test_the_issue_page_issues_n_kits_from_the_next_containers_of_two_lots(trial, browse):
    lab = browse("gmp")
    response = lab.submit(
        "/kits/issue",
        {
            "mode": "next",
            "lot_ucmsc": CELL_LOT,
            "lot_placebo": VEHICLE_LOT,
            "kits": "3",
            "location": "Pharmacy",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    kits = trial.qa.get("/api/v1/kits").json["items"]
    assert len(kits) == 5
    assert [[c["container_id"] for c in k["containers"]] for k in kits[2:]] == [
        [trial.cell_containers[n], trial.vehicle_containers[n]] for n in (2, 3, 4)
    ]
    too_many = lab.submit(
        "/kits/issue",
        {
            "mode": "next",
            "lot_ucmsc": CELL_LOT,
            "lot_placebo": VEHICLE_LOT,
            "kits": "4",
            "location": "Pharmacy",
        },
    )
    assert too_many.status_code == 409
    assert f"Lot {CELL_LOT} has 3 containers in store; 4 kits need 4" in too_many.get_data(as_text=True)
    assert len(trial.qa.get("/api/v1/kits").json["items"]) == 5


def test_the_issue_page_says_what_a_kit_is_missing(trial, browse):
    response = browse("pharmacist").submit(
        "/kits/issue",
        {"mode": "containers", "container_ids": [trial.cell_containers[2]], "location": "Pharmacy"},
    )
    assert response.status_code == 422
    assert "1 vehicle container is missing to make whole kits" in response.get_data(as_text=True)


def test_the_issued_kits_show_when_and_what_and_nothing_of_the_pharmacys_use(trial, browse):
    (_, code), *_ = trial.of_arm("placebo")
    trial.prepare(code, "placebo")
    trial.thaw()
    for role in ("gmp", "qa"):
        page = browse(role).get("/kits").get_data(as_text=True)
        assert page.count('<td class="code">K') == 2
        for cid in (*trial.vehicle_containers[:2],):
            assert cid in page
        assert not re.search(r"\b(thawed|used|stock)\b", page, re.IGNORECASE), role


def test_the_pharmacy_stock_shows_kits_and_what_was_thawed_and_used(trial, browse):
    (_, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    thaw = trial.thaw()
    page = browse("pharmacist").get("/pharmacy/stock").get_data(as_text=True)
    assert "Unblinded area" in page
    assert "Kits in stock" in page
    assert thaw["container_id"] in page
    assert bag["container_id"] in page
    # The first kit gave both its containers: it is used up; the second is still in stock.
    used_up = page[page.index("Kits used up") :]
    assert f"{thaw['container_id']}</span> · UC-MSC · thawed" in used_up
    assert f"{bag['container_id']}</span> · vehicle · used" in used_up
    in_stock = page[page.index("Kits in stock") : page.index("Kits used up")]
    assert in_stock.count('<span class="badge container-issued">issued</span>') == 2


def test_the_box_map_shows_blinded_readers_where_containers_are_and_the_pharmacist_what_they_are(
    trial, browse
):
    trial.thaw()
    thawed = trial.gmp.get(f"/api/v1/lots/{CELL_LOT}").json["containers"][0]["container_id"]
    for role in ("gmp", "qa"):
        page = browse(role).get(f"/lots/{CELL_LOT}/boxes").get_data(as_text=True)
        assert f"A1: {thawed} in the pharmacy" in page, role
        assert "thawed" not in page
        assert page.count('<td class="slot slot-in_pharmacy"') == 2
        assert page.count('<td class="slot slot-in_store"') == 6
    page = browse("pharmacist").get(f"/lots/{CELL_LOT}/boxes").get_data(as_text=True)
    assert f"A1: {thawed} thawed" in page
    lab_page = browse("gmp").get(f"/lots/{CELL_LOT}").get_data(as_text=True)
    assert "6 in store, 2 in the pharmacy, 0 discarded in the lab" in lab_page


def test_the_thaw_page_refuses_a_container_still_in_the_store(trial, browse):
    in_store = trial.cell_containers[2]
    response = browse("pharmacist").submit(
        "/pharmacy/thaw",
        {
            "container_id": in_store,
            "viable_cells_per_ml": "5e6",
            "viability_percent": "90",
            "volume_ml": "10",
        },
    )
    assert response.status_code == 409
    assert f"Container {in_store} is still in the GMP lab&#39;s store" in response.get_data(as_text=True)


def test_the_worksheet_counts_the_vehicle_containers_in_the_pharmacy(trial, browse):
    (_, code), *_ = trial.of_arm("placebo")
    page = browse("pharmacist").get(f"/pharmacy/prepare/{code}").get_data(as_text=True)
    assert f"{VEHICLE_LOT} (2 in the pharmacy)" in page


def test_without_a_kit_the_issue_page_issues_single_containers(app, trial, browse, tmp_path):
    import json

    from tracker.roles import SYSTEM
    from tracker.studies.services import load_study, read_definition_file
    from tracker.web.context import uow

    definition = {**read_definition_file("umsis"), "code": "umsis-singles"}
    del definition["issue_kit"]
    (tmp_path / "singles.json").write_text(json.dumps(definition), encoding="utf-8")
    with app.app_context():
        load_study(uow(), SYSTEM, str(tmp_path / "singles.json"))
    lab = browse("gmp")
    assert "Issue containers to the pharmacy" in lab.get("/kits/issue").get_data(as_text=True)
    response = lab.submit(
        "/kits/issue",
        {"mode": "containers", "container_ids": [trial.cell_containers[5]], "location": "Pharmacy"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert trial.cell_containers[5] in response.get_data(as_text=True)
    assert trial.pharmacist.get(f"/api/v1/lots/{CELL_LOT}").json["containers"][5]["status"] == "issued"
