"""The admin's account pages in a real browser: add a user, the forced change of the one-time password, a
reset, and disabling someone who has left."""

import re

from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD


def _sign(page: Page) -> None:
    """Fill the visible signature fields of the form being submitted: the admin's own password."""
    page.get_by_label("Your password (your signature)").fill(PASSWORD)


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_an_admin_adds_a_user_who_then_chooses_a_password(sign_in, make_user, live_server):
    admin = make_user("admin", full_name="Ada Admin")
    page = sign_in(admin)
    page.get_by_role("main").get_by_role("link", name="People and accounts").click()
    expect(page.get_by_role("heading", name="People and accounts")).to_be_visible()
    page.get_by_label("User name").fill("nurse.wu")
    page.get_by_label("Full name").fill("Wu Fang")
    page.get_by_label("Role").select_option("nurse")
    _sign(page)
    page.get_by_role("button", name="Add the user").click()
    expect(page.get_by_role("status")).to_contain_text("nurse.wu")
    one_time = page.locator("#temporary-password").inner_text()
    assert len(one_time) >= 10
    expect(page.get_by_role("row", name=re.compile("nurse.wu"))).to_contain_text("change due")
    _sign_out(page)

    sign_in("nurse.wu", one_time)
    expect(page.get_by_role("heading", name="Change my password")).to_be_visible()
    page.get_by_label("Current password").fill(one_time)
    page.get_by_label("New password", exact=True).fill("Password123")
    page.get_by_label("New password again").fill("Password123")
    page.get_by_role("button", name="Change the password").click()
    expect(page.get_by_role("alert")).to_contain_text("most common passwords")
    page.get_by_label("Current password").fill(one_time)
    page.get_by_label("New password", exact=True).fill("Willow-Kettle-Sparrow-5")
    page.get_by_label("New password again").fill("Willow-Kettle-Sparrow-5")
    page.get_by_role("button", name="Change the password").click()
    expect(page.get_by_role("heading", name="Welcome, Wu Fang")).to_be_visible()


def test_an_admin_resets_a_password_and_disables_a_user_who_left(sign_in, make_user, browser, live_server):
    admin = make_user("admin", full_name="Ada Admin")
    leaver = make_user("pharmacist", "pharm.leaver", full_name="Lee Leaver")
    # The leaver is signed in on another computer.
    other = browser.new_context()
    their_page = other.new_page()
    their_page.goto(f"{live_server}/login")
    their_page.get_by_label("User name").fill(leaver)
    their_page.get_by_label("Password").fill(PASSWORD)
    their_page.get_by_role("button", name="Sign in").click()
    expect(their_page.get_by_role("heading", name="Welcome, Lee Leaver")).to_be_visible()

    page = sign_in(admin)
    page.goto(f"{live_server}/admin/users")
    page.get_by_role("link", name=leaver).click()
    reset = page.locator("form", has=page.get_by_role("button", name="Reset the password"))
    reset.get_by_label("Reason").fill("forgotten at night shift")
    reset.get_by_label("Your password (your signature)").fill(PASSWORD)
    reset.get_by_role("button", name="Reset the password").click()
    expect(page.get_by_role("status").first).to_contain_text("The password is reset")
    expect(page.locator("#temporary-password")).to_have_text(re.compile(r"\S{10,}"))

    disable = page.locator("form", has=page.get_by_role("button", name="Disable the account"))
    disable.get_by_label("Reason").fill("left the hospital")
    disable.get_by_label("Your password (your signature)").fill(PASSWORD)
    disable.get_by_role("button", name="Disable the account").click()
    expect(page.get_by_role("status").first).to_contain_text("disabled")
    expect(page.get_by_role("table").last).to_contain_text("left the hospital")

    # The other computer is signed out at its next click.
    their_page.goto(f"{live_server}/")
    expect(their_page.get_by_role("heading", name="Sign in")).to_be_visible()
    other.close()
