"""Signing in through the pages in a real browser."""

from playwright.sync_api import expect


def test_a_nurse_signs_in_and_is_told_she_is_blinded(sign_in, make_user):
    name = make_user("nurse", full_name="Niu Li")
    page = sign_in(name)
    expect(page.get_by_role("heading", name="Welcome, Niu Li")).to_be_visible()
    expect(page.get_by_text("never shows you a treatment arm")).to_be_visible()


def test_a_wrong_password_keeps_the_person_on_the_sign_in_page(sign_in, make_user):
    name = make_user("qa")
    page = sign_in(name, "Wrong-password-1")
    expect(page.get_by_role("alert")).to_contain_text("wrong")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_signing_out_returns_to_the_sign_in_page(sign_in, make_user, live_server):
    page = sign_in(make_user("gmp"))
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
