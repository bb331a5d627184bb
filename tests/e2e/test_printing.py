"""Printing from the pages: a label or a certificate loads into a frame of the page and the browser's print
dialog opens on it, with no new tab; the PDF answers may be framed by the app's own pages only."""

from playwright.sync_api import expect

from tests.lots_support import passing_lot
from tests.pharmacy_support import build_trial


def test_the_pharmacist_prints_a_label_through_the_browsers_print_dialog(
    sign_in, make_user, login, runner, tmp_path, live_server
):
    trial = build_trial(login, runner, tmp_path)
    (_, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    page = sign_in(make_user("pharmacist", full_name="Pan Wei"))
    page.goto(f"{live_server}/pharmacy/bags/{bag['bag_id']}")
    with page.expect_response(lambda r: r.url.endswith("/label.pdf")) as answer:
        page.get_by_role("link", name="Print label (PDF)").click()
    response = answer.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    expect(page.locator("#print-frame")).to_have_attribute("data-printed", response.url)
    assert len(page.context.pages) == 1  # printed from this page, no new tab
    expect(page).to_have_url(f"{live_server}/pharmacy/bags/{bag['bag_id']}")


def test_qa_prints_a_lots_certificate_through_the_browsers_print_dialog(
    sign_in, make_user, login, live_server
):
    passing_lot(login("gmp"), "UC-0042")
    page = sign_in(make_user("qa", full_name="Qian Hui"))
    page.goto(f"{live_server}/lots/UC-0042")
    with page.expect_response(lambda r: r.url.endswith("/certificate.pdf")) as answer:
        page.get_by_role("link", name="Certificate of analysis (PDF)").click()
    assert answer.value.headers["content-type"] == "application/pdf"
    expect(page.locator("#print-frame")).to_have_attribute("data-printed", answer.value.url)
    assert len(page.context.pages) == 1
