"""Sign-in pages: CSRF protection, session sign-in and sign-out, no open redirect."""

import re

from tests.conftest import PASSWORD


def _csrf(html: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()


def test_a_form_post_without_its_csrf_token_is_refused(client, make_user):
    name = make_user("qa")
    response = client.post("/login", data={"username": name, "password": PASSWORD})
    assert response.status_code == 400
    assert b"csrf" in response.data.lower()


def test_sign_in_then_home_then_sign_out(client, make_user):
    name = make_user("nurse", full_name="Niu Li")
    token = _csrf(client.get("/login").data)
    response = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert b"Niu Li" in home.data
    assert b"blinded" in home.data
    client.post("/logout", data={"csrf_token": _csrf(home.data)})
    assert client.get("/").status_code == 302


def test_a_wrong_password_shows_an_error_on_the_page(client, make_user):
    name = make_user("nurse")
    token = _csrf(client.get("/login").data)
    response = client.post("/login", data={"username": name, "password": "nope-nope", "csrf_token": token})
    assert response.status_code == 401
    assert b"wrong" in response.data


def test_sign_in_never_redirects_off_site(client, make_user):
    name = make_user("qa")
    token = _csrf(client.get("/login").data)
    response = client.post(
        "/login?next=//evil.example/x", data={"username": name, "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_api_does_not_need_csrf_with_a_bearer_token(login):
    qa = login("qa")
    assert qa.delete("/api/v1/auth/token").status_code == 200


def test_the_browser_language_picks_chinese(client):
    response = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "登录" in response.get_data(as_text=True)


def test_the_chosen_language_is_remembered(client):
    token = _csrf(client.get("/login").data)
    client.post("/language", data={"lang": "zh", "next": "/login", "csrf_token": token})
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "用户名" in page
