"""The deviation board in a browser: QA raises a deviation by hand, investigates it, defines its CAPA and
signs its closure, and the board's counts by state follow each step; a nurse's view of a deviation on a bag
never shows the lot or container the bag came from, which the pharmacist's does."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.pharmacy_support import CELL_LOT, build_trial


def _counts(page: Page, live_server: str) -> dict[str, int]:
    page.goto(f"{live_server}/deviations")
    cells = page.locator("#by-state td[data-state]")
    return {
        cells.nth(i).get_attribute("data-state"): int(cells.nth(i).inner_text()) for i in range(cells.count())
    }


def _bag_deviation(login, runner, tmp_path) -> tuple[str, str, str]:
    """A deviation the pharmacist raised on an active bag, naming the lot and container it came from."""
    trial = build_trial(login, runner, tmp_path, per_arm=1, kits=2)
    ((participant_id, code),) = trial.of_arm("active")
    thaw = trial.thaw()
    bag = trial.prepare_active(code, thaw["thaw_id"]).json
    raised = trial.pharmacist.post(
        "/api/v1/deviations",
        json={
            "title": "Label smudged", "description": "The label print is faint", "category": "other",
            "bag_id": bag["bag_id"], "lot_number": CELL_LOT, "container_id": thaw["container_id"],
            "participant_id": participant_id,
        },
    )  # fmt: skip
    assert raised.status_code == 201, raised.json
    return raised.json["deviation_id"], bag["bag_id"], thaw["container_id"]


def test_qa_takes_a_deviation_from_raising_to_a_signed_closure_on_the_board(
    people, login, runner, tmp_path, live_server
):
    bag_deviation, bag_id, container_id = _bag_deviation(login, runner, tmp_path)
    qa = people("qa", "Quinn Quality")
    before = _counts(qa, live_server)
    assert before == {"open": 1, "under_investigation": 0, "capa_defined": 0, "closed": 0}
    log_pdf = qa.locator("#deviation-log a", has_text="PDF")
    expect(log_pdf).to_have_attribute("href", "/reports/deviations.pdf")

    qa.get_by_role("link", name="Raise a deviation").click()
    qa.get_by_label("Title").fill("Fridge door found ajar")
    qa.get_by_label("Category").select_option("other")
    qa.get_by_label("What happened").fill("The pharmacy fridge door was ajar at the morning check.")
    qa.get_by_role("button", name="Raise the deviation").click()
    expect(qa.get_by_role("heading", level=1)).to_contain_text("Fridge door found ajar")
    expect(qa.locator("#state")).to_have_text("Open")
    detail = qa.url
    assert _counts(qa, live_server)["open"] == 2

    qa.goto(detail)
    qa.locator("#inv-text").fill("Checked the temperature log for the night.")
    qa.get_by_role("button", name="Start the investigation").click()
    expect(qa.locator("#state")).to_have_text("Under investigation")
    assert _counts(qa, live_server) == {"open": 1, "under_investigation": 1, "capa_defined": 0, "closed": 0}

    qa.goto(detail)
    qa.get_by_label("Root cause").fill("The door seal is worn.")
    qa.get_by_label("Corrective action").fill("Replaced the seal.")
    qa.get_by_label("Preventive action").fill("Seal check in the weekly rounds.")
    qa.get_by_label("CAPA owner").fill("Head of pharmacy")
    qa.get_by_label("CAPA due").fill("2030-01-31T12:00")
    qa.get_by_role("button", name="Record the CAPA").click()
    expect(qa.locator("#state")).to_have_text("CAPA defined")
    assert _counts(qa, live_server) == {"open": 1, "under_investigation": 0, "capa_defined": 1, "closed": 0}

    qa.goto(detail)
    qa.get_by_label("Meaning of this signature").fill("Reviewed; the CAPA is effective")
    qa.get_by_label("Your password").fill(PASSWORD)
    qa.get_by_role("button", name="Sign the closure").click()
    expect(qa.locator("#state")).to_have_text("Closed")
    expect(qa.locator("#closure")).to_contain_text("Quinn Quality")
    expect(qa.locator("#closure")).to_contain_text("Reviewed; the CAPA is effective")
    assert _counts(qa, live_server) == {"open": 1, "under_investigation": 0, "capa_defined": 0, "closed": 1}
    # The filter shows the closed one only.
    qa.locator("#f-state").select_option("closed")
    qa.get_by_role("button", name="Filter").click()
    expect(qa.get_by_role("link", name=bag_deviation)).to_have_count(0)
    expect(qa.get_by_role("cell", name="Fridge door found ajar")).to_be_visible()
    # QA is blinded: the bag's deviation names no lot or container.
    qa.goto(f"{live_server}/deviations/{bag_deviation}")
    body = qa.locator("body").inner_text()
    assert bag_id in body
    assert CELL_LOT not in body
    assert container_id not in body


def test_a_nurse_sees_a_bag_deviation_without_its_lot_and_the_pharmacist_with_it(
    people, login, runner, tmp_path, live_server
):
    deviation_id, bag_id, container_id = _bag_deviation(login, runner, tmp_path)
    nurse = people("nurse", "Nora Nurse")
    for url in ("/deviations", f"/deviations/{deviation_id}"):
        nurse.goto(f"{live_server}{url}")
        html = nurse.content()
        assert deviation_id in html
        assert CELL_LOT not in html
        assert container_id not in html
    expect(nurse.locator("body")).to_contain_text(bag_id)
    expect(nurse.get_by_text("Lot of the bag")).to_have_count(0)

    pharmacist = people("pharmacist", "Pat Pharmacist")
    pharmacist.goto(f"{live_server}/deviations/{deviation_id}")
    expect(pharmacist.locator("body")).to_contain_text(CELL_LOT)
    expect(pharmacist.locator("body")).to_contain_text(container_id)
