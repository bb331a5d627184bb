"""Bearer tokens: issue, refuse, expire, revoke, throttle."""

import pytest

from tests.conftest import PASSWORD


def test_a_user_with_the_right_password_gets_a_token(client, make_user):
    name = make_user("qa")
    response = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200
    assert len(response.json["token"]) >= 40
    assert response.json["expires_at"].endswith("+00:00")


def test_a_token_opens_guarded_routes(login):
    qa = login("qa")
    assert qa.get("/api/v1/audit").status_code == 200


@pytest.mark.parametrize("password", ["wrong-password-1", "", PASSWORD.lower()])
def test_a_wrong_password_is_refused_with_401(client, make_user, password):
    name = make_user("nurse")
    response = client.post("/api/v1/auth/token", json={"username": name, "password": password or "x"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"
    assert "token" not in response.json


def test_an_unknown_user_is_refused_like_a_wrong_password(client):
    response = client.post("/api/v1/auth/token", json={"username": "nobody", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer not-a-token", "Basic abc", "Token abc"])
def test_a_missing_or_unknown_token_gets_401(client, header):
    response = client.get("/api/v1/audit", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert set(response.json["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("app_config", [{"TOKEN_TTL_MINUTES": 0}])
def test_an_expired_token_gets_401(login, client):
    # With a lifetime of zero minutes the token is expired by the time it is used.
    qa = login("qa")
    response = qa.get("/api/v1/audit")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_a_revoked_token_gets_401(login):
    qa = login("qa")
    assert qa.delete("/api/v1/auth/token").status_code == 200
    response = qa.get("/api/v1/audit")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_repeated_failures_lock_the_name_out_even_for_the_right_password(client, make_user):
    name = make_user("qa")
    for _ in range(5):
        assert (
            client.post("/api/v1/auth/token", json={"username": name, "password": "nope-nope-1"}).status_code
            == 401
        )
    response = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json["error"]["code"] == "locked_out"


def test_a_success_resets_the_failure_count(client, make_user):
    name = make_user("qa")
    for _ in range(4):
        client.post("/api/v1/auth/token", json={"username": name, "password": "nope-nope-1"})
    assert client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD}).status_code == 200
    for _ in range(4):
        client.post("/api/v1/auth/token", json={"username": name, "password": "nope-nope-1"})
    assert client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD}).status_code == 200


def test_sign_in_and_out_are_audited_without_the_password_or_token(login, client):
    qa = login("qa")
    events = qa.get("/api/v1/audit", query_string={"entity_type": "user", "entity_id": qa.username}).json[
        "events"
    ]
    assert [e["action"] for e in events] == ["create", "sign_in"]
    body = str(events)
    assert PASSWORD not in body
    assert qa.token not in body
