"""Every error answers the contract's body: {"error": {"code", "message", "details"}}."""


def _is_error_body(body: dict) -> bool:
    error = body["error"]
    return (
        set(error) == {"code", "message", "details"}
        and error["message"]
        and isinstance(error["details"], dict)
    )


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
    assert _is_error_body(response.json)


def test_a_json_array_body_is_422(client):
    response = client.post("/api/v1/auth/token", json=[1, 2])
    assert response.status_code == 422
    assert _is_error_body(response.json)


def test_an_invalid_body_is_422_with_a_message_per_field(client):
    response = client.post("/api/v1/auth/token", json={"username": "", "extra": 1})
    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert set(details) == {"username", "password", "extra"}
    assert _is_error_body(response.json)


def test_an_unknown_route_is_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert _is_error_body(response.json)


def test_a_wrong_method_is_405(client):
    response = client.put("/api/v1/auth/token", json={})
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert _is_error_body(response.json)


def test_a_query_value_outside_its_list_is_422(login):
    qa = login("qa")
    response = qa.get("/api/v1/audit", query_string={"entity_type": "spaceship"})
    assert response.status_code == 422
    assert "entity_type" in response.json["error"]["details"]


def test_pages_answer_errors_as_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"Nothing exists at this address" in response.data
