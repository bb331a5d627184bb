"""Sites for tests: the admin adds them through the API as a site would."""


def add_site(login, code: str = "SITE-02", kind: str = "clinical", name: str | None = None) -> dict:
    admin = login("admin")
    made = admin.post("/api/v1/sites", json={"code": code, "name": name or f"Hospital {code}", "kind": kind})
    assert made.status_code == 201, made.json
    return made.json
