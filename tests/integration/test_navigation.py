"""The navigation bar: each role's workspaces, the page shown marked, the user menu, the skip link."""

import re

from tests.conftest import PASSWORD, csrf_token_in


def _signed_in(app, make_user, role: str):
    client = app.test_client()
    token = csrf_token_in(client.get("/login").data)
    form = {"username": make_user(role), "password": PASSWORD, "csrf_token": token}
    response = client.post("/login", data=form)
    assert response.status_code == 302
    return client


def _nav(html: str) -> str:
    found = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    assert found, "no navigation bar"
    return found.group(0)


def test_each_role_sees_its_own_workspaces_and_the_page_shown_is_marked(app, make_user):
    nurse = _signed_in(app, make_user, "nurse")
    nav = _nav(nurse.get("/ward/receive").get_data(as_text=True))
    assert 'href="/ward/receive" aria-current="page"' in nav
    assert 'href="/ward" >' in nav or 'href="/ward">' in nav  # another workspace, not marked
    for elsewhere in ("/lots", "/admin/users", "/pharmacy"):
        assert elsewhere not in nav
    gmp = _signed_in(app, make_user, "gmp")
    nav = _nav(gmp.get("/lots/new").get_data(as_text=True))
    assert 'href="/lots/new" aria-current="page"' in nav
    assert 'href="/lots" aria-current' not in nav  # only one page is the page shown
    assert "/ward" not in nav
    assert "/participants" not in nav


def test_a_page_inside_a_workspace_marks_its_workspace(app, make_user):
    gmp = _signed_in(app, make_user, "gmp")
    nav = _nav(gmp.get("/lots/NO-SUCH-LOT").get_data(as_text=True))  # the error page still has the bar
    assert 'href="/lots" aria-current="true"' in nav
    assert 'aria-current="page"' not in nav


def test_the_user_menu_and_the_skip_link_are_on_every_page(app, make_user):
    admin = _signed_in(app, make_user, "admin")
    html = admin.get("/audit").get_data(as_text=True)
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<main id="main"' in html
    assert 'href="/account/password"' in html
    assert "Change my password" in html
    assert "Change my password" not in _nav(html)  # in the user menu, not among the workspaces
    assert ">Sign out</button>" in html
    assert 'name="lang" value="zh"' in html
    chinese = admin.get("/audit", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "跳到正文" in chinese
    assert 'aria-label="工作区"' in chinese
