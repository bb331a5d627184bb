"""The pharmacy's countdowns and the GMP lab's QC form in a real browser: the thaw window and the use-by count
down second by second, warn in their last quarter hour and say when they have run out; each QC result is
judged against the spec as it is typed, and the server judges again on submit."""

import datetime as dt
import re

from playwright.sync_api import expect

from tests.lots_support import PASSING, create_lot
from tests.pharmacy_support import build_trial


def test_the_qc_form_judges_each_result_as_it_is_typed_and_records_them_in_one_go(
    sign_in, make_user, login, live_server
):
    create_lot(login("gmp"), "UC-0001")
    page = sign_in(make_user("gmp", full_name="Gao Min"))
    page.goto(f"{live_server}/lots/UC-0001")
    page.get_by_role("link", name="Enter QC results").click()
    expect(page.get_by_role("heading", name="Enter QC results")).to_be_visible()

    endotoxin, verdict = page.get_by_label("endotoxin", exact=True), page.locator("#result-endotoxin-verdict")
    expect(page.get_by_role("row", name=re.compile("^endotoxin"))).to_contain_text("< 0.5 EU/mL")
    endotoxin.fill("0.9")
    expect(verdict).to_have_text(re.compile("Fail"))
    endotoxin.fill("0.12 EU/mL")  # with the unit, as read from the report
    expect(verdict).to_have_text(re.compile("Pass"))
    endotoxin.fill("")
    expect(verdict).to_have_text("")  # an empty row says nothing and is skipped
    page.get_by_label("sterility", exact=True).fill("Positive")
    expect(page.locator("#result-sterility-verdict")).to_have_text(re.compile("Fail"))
    cd73 = page.get_by_label("cd73", exact=True)
    cd73.fill("ninety")
    expect(page.locator("#result-cd73-verdict")).to_have_text("must be a number")
    cd73.fill("101")
    expect(page.locator("#result-cd73-verdict")).to_have_text("a percentage must be at most 100")

    # The server judges again: a bad value is sent back next to its field and nothing is saved.
    page.get_by_role("button", name="Record these results").click()
    expect(page.get_by_role("alert")).to_contain_text("nothing was recorded")
    expect(page.locator("#result-cd73-problem")).to_contain_text("a percentage must be at most 100")
    expect(cd73).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("sterility", exact=True)).to_have_value("Positive")
    assert login("qa").get("/api/v1/lots/UC-0001").json["qc_results"] == []

    for test, value in PASSING["ucmsc"].items():
        page.get_by_label(test, exact=True).fill(str(value))
        expect(page.locator(f"#result-{test}-verdict")).to_have_text(re.compile("Pass"))
    page.get_by_role("button", name="Record these results").click()
    expect(page.get_by_role("status")).to_contain_text("11 QC results recorded.")
    expect(page.get_by_text("Nothing: the lot may be released by QA.")).to_be_visible()


def test_the_thaw_window_and_the_use_by_count_down_in_the_browser(
    sign_in, make_user, login, runner, tmp_path, live_server
):
    trial = build_trial(login, runner, tmp_path)
    thaw = trial.thaw()
    (_, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    page = sign_in(make_user("pharmacist", full_name="Pan Wei"))
    now = dt.datetime.now(dt.UTC)
    page.clock.install(time=now)
    page.goto(f"{live_server}/pharmacy")

    thaw_row = page.get_by_role("row").filter(has_text=thaw["thaw_id"])
    window = thaw_row.get_by_role("timer")
    expect(window).to_have_text(re.compile(r"^0:59:\d\d left$"))
    first = window.inner_text()
    page.clock.run_for(2_000)
    expect(window).not_to_have_text(first)  # ticking in the browser, not only as the server drew it
    page.clock.fast_forward("50:00")
    expect(thaw_row.locator(".countdown")).to_have_class(re.compile("countdown-amber"))
    page.clock.fast_forward("08:00")
    expect(thaw_row.locator(".countdown")).to_have_class(re.compile("countdown-red"))
    page.clock.fast_forward("03:00")
    expect(window).to_have_text("Window closed: prepare no bag from this thaw")

    # The bag, prepared two hours before its use-by, an hour ago by the browser's clock.
    page.goto(f"{live_server}/pharmacy/bags/{bag['bag_id']}")
    use_by = page.get_by_role("timer")
    expect(use_by).to_have_text(re.compile(r"^0:5\d:\d\d left$"))
    expect(page.locator(".countdown")).to_have_class(re.compile("countdown-ok"))
    page.clock.fast_forward("01:00:00")
    expect(use_by).to_have_text("Expired: do not dispatch or infuse")
