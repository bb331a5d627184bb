"""The Chinese interface for one workflow: a browser that asks for Chinese gets the sign-in, the home page and
the bedside check in Chinese, and a wedge scan shows 匹配 (MATCH)."""

from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.pharmacy_support import build_trial
from tests.ward_support import move


def test_a_chinese_browser_does_the_bedside_check_in_chinese(
    browser, make_user, login, runner, tmp_path, live_server
):
    trial = build_trial(login, runner, tmp_path)
    (participant, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    move(trial, bag["bag_id"], "dispatch", "receive")
    nurse = make_user("nurse", full_name="Niu Li")

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")  # Accept-Language: zh-CN picks Chinese
        expect(page.get_by_role("heading", name="登录")).to_be_visible()
        page.get_by_label("用户名").fill(nurse)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("heading", name="欢迎，Niu Li")).to_be_visible()

        page.get_by_role("main").get_by_role("link", name="病房：床旁核对与输注").click()
        expect(page.get_by_label("输液袋标签", exact=True)).to_be_focused()
        page.keyboard.type(bag["qr_payload"])
        page.keyboard.press("Enter")
        expect(page.get_by_label("腕带（受试者编号）")).to_be_focused()
        page.keyboard.type(participant)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="匹配")).to_be_visible()
        expect(page.get_by_role("button", name="开始输注")).to_be_visible()
    finally:
        context.close()
