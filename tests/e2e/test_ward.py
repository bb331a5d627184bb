"""The ward in a real browser: a nurse receives a bag and checks it at the bedside with a keyboard-wedge
scanner (typed text ending in Enter); the right wristband shows MATCH, a wrong one STOP."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import wedge
from tests.pharmacy_support import build_trial
from tests.ward_support import move
from tracker.ward.rules import REFUSAL_MESSAGES


def test_a_nurse_receives_a_bag_and_a_wedge_scan_shows_match_then_a_wrong_wristband_shows_stop(
    sign_in, make_user, login, runner, tmp_path, live_server
):
    trial = build_trial(login, runner, tmp_path)
    (participant, code), *_ = trial.of_arm("active")
    (other_participant, _), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "active")
    move(trial, bag["bag_id"], "dispatch")
    page = sign_in(make_user("nurse", full_name="Niu Li"))

    # Receive: the scan's Enter moves on to the next field instead of sending a half-filled form.
    page.get_by_role("main").get_by_role("link", name="Ward: receive bags").click()
    bag_field = page.get_by_label("Bag label (scan, or type the bag ID)")
    expect(bag_field).to_be_focused()
    wedge(page, bag["qr_payload"])
    location = page.get_by_label("Location")
    expect(location).to_be_focused()
    location.fill("Ward 5 north")
    page.get_by_label("Temperature on arrival (°C)").fill("5")
    page.get_by_label("yes").check()
    page.get_by_role("button", name="Record receipt").click()
    expect(page.get_by_role("status")).to_contain_text(f"Bag {bag['bag_id']} received at Ward 5 north")
    expect(page.get_by_role("row").filter(has_text=bag["bag_id"])).to_contain_text("received")

    # The bedside check: bag label, Enter, wristband, Enter.
    page.get_by_role("main").get_by_role("link", name="Bedside check").click()
    expect(page.get_by_label("Bag label", exact=True)).to_be_focused()
    wedge(page, bag["qr_payload"])
    expect(page).to_have_url(re.compile(r"/ward$"))  # the first Enter did not send the form
    expect(page.get_by_label("Wristband (participant ID)")).to_be_focused()
    wedge(page, participant)
    expect(page.get_by_role("heading", name="MATCH")).to_be_visible()
    expect(page.get_by_text("This bag is for this participant.")).to_be_visible()
    timer = page.get_by_role("timer")
    expect(timer).to_have_text(re.compile(r"^1:5\d:\d\d left$"))
    first = timer.inner_text()
    expect(timer).not_to_have_text(first, timeout=3_000)  # the countdown runs in the page
    expect(page.get_by_role("button", name="Start infusion")).to_be_visible()

    # The same bag against another participant's wristband.
    page.get_by_role("link", name="Scan again").click()
    expect(page.get_by_label("Bag label", exact=True)).to_be_focused()
    wedge(page, bag["qr_payload"])
    expect(page.get_by_label("Wristband (participant ID)")).to_be_focused()
    wedge(page, other_participant)
    stop = page.get_by_role("alert")
    expect(stop).to_contain_text("STOP")
    expect(stop).to_contain_text(REFUSAL_MESSAGES["wrong_participant"])
    expect(page.get_by_role("heading", name="MATCH")).to_have_count(0)
    expect(page.get_by_role("button", name="Start infusion")).to_have_count(0)


def test_a_nurse_who_types_an_unblinded_address_is_refused_and_sees_no_arm(
    sign_in, make_user, login, runner, tmp_path, live_server
):
    trial = build_trial(login, runner, tmp_path)
    (_, code), *_ = trial.of_arm("active")
    bag = trial.prepare(code, "active")
    page = sign_in(make_user("nurse", full_name="Niu Li"))
    for path in (
        f"/pharmacy/bags/{bag['bag_id']}",
        f"/pharmacy/prepare/{code}",
        "/pharmacy",
        "/randomization",
        f"/pharmacy/bags/{bag['bag_id']}/label.pdf",
    ):
        response = page.goto(f"{live_server}{path}")
        assert response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Your role may not do this")
        body = page.locator("body").inner_text().lower()
        assert "active" not in body, path
        assert "placebo" not in body, path
    # Her own pages still open: the refusal did not sign her out.
    page.goto(f"{live_server}/ward/bags/{bag['bag_id']}")
    expect(page.get_by_role("heading", name=f"Bag {bag['bag_id']}")).to_be_visible()
