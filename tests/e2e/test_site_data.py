"""Issue 19 in a real browser: the statistician previews a spreadsheet's list before committing it, and on the
ward the Enter key never skips the receipt's temperature."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import wedge
from tests.pharmacy_support import build_trial
from tests.ward_support import move


def test_the_statistician_previews_a_list_with_codes_as_written_then_commits_it(
    sign_in, make_user, tmp_path, live_server
):
    rows = [("UA0011", "A", "active"), ("1007", "A", "placebo"), ("S3-017", "B", "active"),
            ("umsis/B/12", "B", "placebo")]  # fmt: skip
    path = tmp_path / "from-the-statistician.csv"
    path.write_bytes(
        "\ufeff".encode()
        + b"randomization_code,stratum,arm\r\n"
        + "".join(f" {c} , {s} ,{a}\r\n" for c, s, a in rows).encode()
    )
    page = sign_in(make_user("statistician"))
    page.goto(f"{live_server}/randomization")
    page.get_by_label("List file (CSV)").set_input_files(str(path))
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("4 rows read. Nothing is stored until you commit.")
    stratum_a = preview.get_by_role("row").filter(has_text=re.compile(r"^\s*A"))
    expect(stratum_a).to_contain_text("active 1 · placebo 1")
    expect(page.get_by_text("No list is loaded yet")).to_be_visible()  # nothing stored by the preview
    page.get_by_role("button", name="Import and commit").click()
    expect(page.get_by_role("status")).to_contain_text("List 1 imported: 4 codes.")


def test_enter_in_the_location_moves_to_the_temperature_instead_of_saving_the_receipt(
    sign_in, make_user, login, runner, tmp_path, live_server
):
    trial = build_trial(login, runner, tmp_path)
    (_, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    move(trial, bag["bag_id"], "dispatch")
    page = sign_in(make_user("nurse"))
    page.goto(f"{live_server}/ward/receive")
    wedge(page, bag["qr_payload"])
    location = page.get_by_label("Location")
    expect(location).to_be_focused()
    location.fill("Ward 5 north")
    location.press("Enter")
    temperature = page.get_by_label("Temperature on arrival (°C)")
    expect(temperature).to_be_focused()  # Enter did not send the form without a temperature
    expect(page.get_by_role("status")).to_have_count(0)
    assert trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "dispatched"
    temperature.fill("4.5")
    temperature.press("Enter")
    expect(page.get_by_label("yes")).to_be_focused()  # then the seal, still unanswered
    page.get_by_label("yes").check()
    page.get_by_role("button", name="Record receipt").click()
    expect(page.get_by_role("status")).to_contain_text(f"Bag {bag['bag_id']} received at Ward 5 north")
