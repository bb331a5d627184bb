"""People and accounts through the API: the admin's controls, one-time passwords, weak passwords, sessions
that end, lockouts that cannot be turned against the ward, and the access review."""

import csv
import io

import pytest

from tests.conftest import PASSWORD, ApiClient, csrf_token_in


def _token(client, username, password, **kw):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password}, **kw)


def _add(admin, username="nurse.ana", role="nurse", full_name="Ana Lima"):
    response = admin.post(
        "/api/v1/users",
        json={"username": username, "full_name": full_name, "role": role, "password": PASSWORD},
    )
    assert response.status_code == 201, response.json
    return response.json


def test_an_admin_adds_a_user_who_must_change_the_one_time_password(client, login):
    admin = login("admin")
    created = _add(admin)
    assert created["username"] == "nurse.ana"
    assert created["role"] == "nurse"
    assert created["password_change_required"] is True
    one_time = created["temporary_password"]
    assert len(one_time) >= 10

    signed_in = _token(client, "nurse.ana", one_time)
    assert signed_in.status_code == 200
    assert signed_in.json["password_change_required"] is True
    nurse = ApiClient(client, signed_in.json["token"], "nurse.ana", "nurse")
    refused = nurse.get("/api/v1/participants/P-1")
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "password_change_required"

    changed = nurse.post(
        "/api/v1/auth/password", json={"current_password": one_time, "new_password": "Lantern-Orbit-Cellar-4"}
    )
    assert changed.status_code == 200, changed.json
    assert nurse.get("/api/v1/participants/P-1").status_code == 404  # the guard lets the nurse through now
    assert _token(client, "nurse.ana", one_time).status_code == 401
    assert _token(client, "nurse.ana", "Lantern-Orbit-Cellar-4").status_code == 200

    listed = {u["username"]: u for u in admin.get("/api/v1/users").json["items"]}
    assert listed["nurse.ana"]["password_change_required"] is False
    assert listed["nurse.ana"]["last_sign_in_at"] is not None
    assert set(listed["nurse.ana"]) >= {
        "username", "full_name", "role", "active", "locked", "password_change_required", "last_sign_in_at",
    }  # fmt: skip


def test_the_one_time_password_is_never_in_the_audit_trail(login):
    admin = login("admin")
    created = _add(admin)
    reset = admin.post(
        "/api/v1/users/nurse.ana/password-reset", json={"reason": "forgotten", "password": PASSWORD}
    )
    qa = login("qa")
    trail = qa.get("/api/v1/audit", query_string={"entity_type": "user", "entity_id": "nurse.ana"}).json
    text = str(trail)
    assert created["temporary_password"] not in text
    assert reset.json["temporary_password"] not in text
    assert PASSWORD not in text
    actions = [e["action"] for e in trail["events"]]
    assert actions == ["create", "reset_password"]
    signature = trail["events"][0]["after"]["signature"]
    assert signature["signed_by"] == admin.username
    assert signature["meaning"]
    assert signature["signed_at"]


@pytest.mark.parametrize(
    ("new_password", "why"),
    [
        ("Password123", "common"),
        ("short-1A", "10 characters"),
        ("qwertyuiop", "common"),
        ("nurse.ana-Lantern-9", "user name"),
        ("aaaaaaaaaaaa", "easy to guess"),
    ],
)
def test_a_weak_new_password_is_refused_saying_why(client, login, new_password, why):
    admin = login("admin")
    one_time = _add(admin)["temporary_password"]
    nurse = ApiClient(client, _token(client, "nurse.ana", one_time).json["token"], "nurse.ana", "nurse")
    response = nurse.post(
        "/api/v1/auth/password", json={"current_password": one_time, "new_password": new_password}
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "weak_password"
    assert why in " ".join(response.json["error"]["details"]["new_password"])
    assert why in response.json["error"]["message"]
    # nothing changed: the one-time password still signs in, and still must be changed
    assert _token(client, "nurse.ana", one_time).json["password_change_required"] is True


def test_the_admins_own_password_signs_each_change(login):
    admin = login("admin")
    wrong = admin.post(
        "/api/v1/users", json={"username": "x.y", "full_name": "X Y", "role": "qa", "password": "not-it"}
    )
    assert wrong.status_code == 401
    assert wrong.json["error"]["code"] == "wrong_password"
    assert "x.y" not in [u["username"] for u in admin.get("/api/v1/users").json["items"]]


def test_disabling_a_user_ends_their_tokens_and_sign_in_at_once(client, login):
    admin = login("admin")
    nurse = login("nurse")
    assert nurse.get("/api/v1/participants/P-1").status_code == 404
    no_reason = admin.patch(f"/api/v1/users/{nurse.username}", json={"active": False, "password": PASSWORD})
    assert no_reason.status_code == 422
    response = admin.patch(
        f"/api/v1/users/{nurse.username}",
        json={"active": False, "reason": "left the trial", "password": PASSWORD},
    )
    assert response.status_code == 200, response.json
    assert response.json["active"] is False
    assert nurse.get("/api/v1/participants/P-1").status_code == 401
    assert _token(client, nurse.username, PASSWORD).status_code == 401

    enabled = admin.patch(
        f"/api/v1/users/{nurse.username}", json={"active": True, "reason": "came back", "password": PASSWORD}
    )
    assert enabled.json["active"] is True
    assert _token(client, nurse.username, PASSWORD).status_code == 200
    assert nurse.get("/api/v1/participants/P-1").status_code == 401  # the old token stays ended


def test_a_role_change_takes_effect_on_the_next_call_and_is_audited_with_its_reason(login):
    admin = login("admin")
    user = login("nurse")
    assert user.get("/api/v1/lots").status_code == 403
    changed = admin.patch(
        f"/api/v1/users/{user.username}",
        json={"role": "qa", "full_name": "Ana Q", "reason": "moved to QA", "password": PASSWORD},
    )
    assert changed.json["role"] == "qa"
    assert changed.json["full_name"] == "Ana Q"
    assert user.get("/api/v1/lots").status_code == 200
    events = admin.get("/api/v1/audit", query_string={"entity_type": "user", "entity_id": user.username}).json
    update = [e for e in events["events"] if e["action"] == "update"][0]
    assert update["before"]["role"] == "nurse"
    assert update["after"]["role"] == "qa"
    assert update["reason"] == "moved to QA"


def test_the_last_active_admin_cannot_be_disabled_or_demoted(login, runner):
    admin = login("admin")
    for change in ({"active": False}, {"role": "qa"}):
        response = admin.patch(
            f"/api/v1/users/{admin.username}", json={**change, "reason": "test", "password": PASSWORD}
        )
        assert response.status_code == 409
        assert response.json["error"]["code"] == "last_admin"
    result = runner.invoke(args=["user", "disable", admin.username, "--reason", "test"])
    assert result.exit_code != 0
    assert "last active admin" in result.output
    second = login("admin")
    ok = admin.patch(
        f"/api/v1/users/{second.username}", json={"role": "qa", "reason": "x", "password": PASSWORD}
    )
    assert ok.status_code == 200
    assert admin.get("/api/v1/users").json["items"][0]["active"] is True


def test_a_reset_gives_a_new_one_time_password_and_ends_sessions(client, login):
    admin = login("admin")
    qa = login("qa")
    response = admin.post(
        f"/api/v1/users/{qa.username}/password-reset", json={"reason": "forgot", "password": PASSWORD}
    )
    assert response.status_code == 200
    one_time = response.json["temporary_password"]
    assert qa.get("/api/v1/audit").status_code == 401
    assert _token(client, qa.username, PASSWORD).status_code == 401
    assert _token(client, qa.username, one_time).json["password_change_required"] is True


# ---- lockouts ----


def _fail_from(client, username, address, times=5):
    for _ in range(times):
        response = _token(client, username, "nope-nope-nope-1", environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 401


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(client, make_user):
    name = make_user("nurse")
    _fail_from(client, name, "203.0.113.9")
    locked = _token(client, name, PASSWORD, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert locked.status_code == 429
    assert locked.json["error"]["code"] == "locked_out"
    # the ward's tablet signs in as usual
    assert _token(client, name, PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 200


def test_a_forwarded_address_is_believed_only_from_a_configured_proxy(app, client, make_user):
    name = make_user("nurse")
    spoofed = {"REMOTE_ADDR": "10.0.0.99"}
    for fake in ("198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5"):
        _token(client, name, "nope-nope-nope-1", environ_base=spoofed, headers={"X-Forwarded-For": fake})
    # without TRUSTED_PROXY_HOPS the header is ignored: all five came from 10.0.0.99
    assert _token(client, name, PASSWORD, environ_base=spoofed).status_code == 429


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXY_HOPS": 1}])
def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(client, make_user):
    name = make_user("nurse")
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    for _ in range(5):
        _token(
            client, name, "nope-nope-nope-1", environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7"}
        )
    assert (
        _token(
            client, name, PASSWORD, environ_base=proxy, headers={"X-Forwarded-For": "198.51.100.7"}
        ).status_code
        == 429
    )
    assert (
        _token(
            client, name, PASSWORD, environ_base=proxy, headers={"X-Forwarded-For": "10.1.1.1"}
        ).status_code
        == 200
    )


def test_wrong_signature_passwords_never_lock_the_sign_in(client, login):
    investigator = login("investigator")
    for _ in range(6):
        response = investigator.post(
            "/api/v1/participants/P-404/unblind", json={"reason": "SAE", "password": "nope-nope-nope-1"}
        )
        assert response.status_code in (401, 404, 429)
    assert _token(client, investigator.username, PASSWORD).status_code == 200


def test_an_admin_unlocks_a_locked_user_and_the_list_says_locked(client, login, make_user):
    admin = login("admin")
    name = make_user("nurse")
    _fail_from(client, name, "127.0.0.1")
    listed = {u["username"]: u for u in admin.get("/api/v1/users").json["items"]}
    assert listed[name]["locked"] is True
    assert _token(client, name, PASSWORD).status_code == 429
    assert admin.post(f"/api/v1/users/{name}/unlock", json={}).status_code == 422  # a reason is required
    unlocked = admin.post(f"/api/v1/users/{name}/unlock", json={"reason": "called the help desk"})
    assert unlocked.status_code == 200
    assert unlocked.json["locked"] is False
    assert _token(client, name, PASSWORD).status_code == 200


# ---- pages: sessions that end ----


def _page_sign_in(client, username, password):
    token = csrf_token_in(client.get("/login").data)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_a_replayed_session_cookie_is_refused_after_sign_out(app, make_user):
    name = make_user("qa")
    browser = app.test_client()
    assert _page_sign_in(browser, name, PASSWORD).status_code == 302
    cookie = browser.get_cookie("session").value
    assert browser.get("/audit").status_code == 200
    token = csrf_token_in(browser.get("/audit").data)
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", cookie)
    response = replay.get("/audit")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_disabling_a_user_ends_their_page_session(app, login, make_user):
    admin = login("admin")
    name = make_user("qa")
    browser = app.test_client()
    _page_sign_in(browser, name, PASSWORD)
    assert browser.get("/audit").status_code == 200
    admin.patch(f"/api/v1/users/{name}", json={"active": False, "reason": "left", "password": PASSWORD})
    assert browser.get("/audit").status_code == 302


def test_a_one_time_password_leads_the_pages_to_the_change_form(app, login):
    admin = login("admin")
    one_time = _add(admin, "qa.lee", "qa", "Lee")["temporary_password"]
    browser = app.test_client()
    _page_sign_in(browser, "qa.lee", one_time)
    response = browser.get("/audit")
    assert response.status_code == 302
    assert "/account/password" in response.headers["Location"]
    form = browser.get("/account/password")
    token = csrf_token_in(form.data)
    weak = browser.post(
        "/account/password",
        data={"current_password": one_time, "new_password": "Password123", "confirm_password": "Password123",
              "csrf_token": token, "next": "/audit"},
    )  # fmt: skip
    assert weak.status_code == 422
    assert b"common" in weak.data
    good = browser.post(
        "/account/password",
        data={"current_password": one_time, "new_password": "Quiet-Harbour-Lamp-7",
              "confirm_password": "Quiet-Harbour-Lamp-7", "csrf_token": token, "next": "/audit"},
    )  # fmt: skip
    assert good.status_code == 302
    assert good.headers["Location"].endswith("/audit")
    assert browser.get("/audit").status_code == 200


def test_the_empty_sign_in_page_says_how_the_first_admin_is_made(client, runner):
    page = client.get("/login").data.decode()
    assert "flask --app app user add NAME --role admin" in page
    result = runner.invoke(
        args=["user", "add", "first.admin", "--role", "admin"], input="Granite-Meadow-Fox-3\n"
    )
    assert result.exit_code == 0, result.output
    assert "user add NAME" not in client.get("/login").data.decode()


# ---- the command line ----


def test_the_user_commands_list_disable_enable_and_reset(client, runner, make_user):
    make_user("admin", "site.admin")
    name = make_user("nurse", "ward.nurse")
    listed = runner.invoke(args=["user", "list"])
    assert listed.exit_code == 0
    assert "ward.nurse" in listed.output
    assert "nurse" in listed.output

    assert runner.invoke(args=["user", "disable", name]).exit_code != 0  # --reason is required
    assert runner.invoke(args=["user", "disable", name, "--reason", "left"]).exit_code == 0
    assert _token(client, name, PASSWORD).status_code == 401
    assert "disabled" in runner.invoke(args=["user", "list"]).output
    assert runner.invoke(args=["user", "enable", name, "--reason", "back"]).exit_code == 0
    assert _token(client, name, PASSWORD).status_code == 200

    reset = runner.invoke(args=["user", "reset-password", name, "--reason", "forgot"])
    assert reset.exit_code == 0
    one_time = reset.output.strip().splitlines()[-1]
    assert _token(client, name, one_time).json["password_change_required"] is True
    assert runner.invoke(args=["user", "disable", "nobody", "--reason", "x"]).exit_code != 0


def test_user_add_refuses_a_weak_password(runner):
    result = runner.invoke(args=["user", "add", "weak.one", "--role", "qa"], input="Password123\n")
    assert result.exit_code != 0
    assert "common" in result.output


# ---- the access review ----


def test_the_access_review_lists_every_account_and_every_change(login):
    admin = login("admin")
    _add(admin)
    admin.patch("/api/v1/users/nurse.ana", json={"active": False, "reason": "left", "password": PASSWORD})
    qa = login("qa")
    review = qa.get("/api/v1/reports/access-review").json
    names = {a["username"] for a in review["accounts"]}
    assert {"nurse.ana", admin.username, qa.username} <= names
    changes = [(c["username"], c["action"]) for c in review["changes"]]
    assert ("nurse.ana", "create") in changes
    assert ("nurse.ana", "disable") in changes
    disable = next(c for c in review["changes"] if c["action"] == "disable")
    assert disable["reason"] == "left"
    assert disable["by"] == admin.username

    rows = list(csv.DictReader(io.StringIO(qa.get("/api/v1/reports/access-review.csv").data.decode())))
    assert any(
        r["kind"] == "account" and r["username"] == "nurse.ana" and r["active"] == "False" for r in rows
    )
    assert any(r["kind"] == "change" and r["action"] == "disable" for r in rows)
    pdf = qa.get("/api/v1/reports/access-review.pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")

    later = qa.get("/api/v1/reports/access-review", query_string={"since": "2999-01-01T00:00:00+00:00"})
    assert later.json["changes"] == []
