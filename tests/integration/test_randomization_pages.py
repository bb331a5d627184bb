"""The investigator's enrolment and code-break pages, the statistician's list status and the QA notifications,
through the browser's path: session sign-in and CSRF tokens."""

import re

import pytest

from tests.conftest import PASSWORD
from tests.integration.eligibility_support import confirm_fields, page_form
from tests.integration.randomization_support import import_list, list_rows
from tests.integration.test_pages import _csrf


@pytest.fixture
def rows(runner, tmp_path):
    loaded = list_rows(per_stratum=2)
    import_list(runner, tmp_path, loaded)
    return loaded


def _sign_in(client, make_user, role):
    name = make_user(role, full_name=f"{role.title()} Person")
    token = _csrf(client.get("/login").data)
    response = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return name


def _post(client, url, data):
    token = _csrf(client.get(url).data)
    return client.post(url, data={**data, "csrf_token": token})


def _enrol_on_page(client, participant_id, stratum):
    """The checklist, its review, then the confirm form as the review page wrote it."""
    review = _post(client, "/participants/enrol", page_form(participant_id, stratum=stratum))
    if review.status_code != 200:
        return review
    return client.post("/participants/enrol", data=confirm_fields(review.get_data(as_text=True)))


def test_the_home_page_links_each_role_to_its_workspaces(client, make_user):
    _sign_in(client, make_user, "investigator")
    home = client.get("/").get_data(as_text=True)
    assert "/participants/enrol" in home
    assert "/participants/code-break" in home
    assert "/randomization" not in home
    assert "/notifications" not in home


def test_an_investigator_enrols_on_the_page_and_sees_the_code(client, make_user, rows):
    _sign_in(client, make_user, "investigator")
    page = client.get("/participants/enrol")
    assert page.status_code == 200
    assert b'<label for="stratum">' in page.data
    response = _enrol_on_page(client, "W-01", "C")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert rows[4][0] in text  # stratum C's first code
    assert "active" not in text
    assert "placebo" not in text
    again = _enrol_on_page(client, "W-01", "C")
    assert again.status_code == 409
    assert "already enrolled" in again.get_data(as_text=True)
    unknown = _enrol_on_page(client, "W-02", "Q")
    assert unknown.status_code == 422


def test_a_page_form_without_its_csrf_token_is_refused(client, make_user, rows, login):
    _sign_in(client, make_user, "investigator")
    response = client.post("/participants/enrol", data={"participant_id": "W-01", "stratum": "A"})
    assert response.status_code == 400
    assert login("nurse").get("/api/v1/participants/W-01").status_code == 404


def test_the_code_break_page_asks_to_confirm_with_the_password_then_shows_the_arm_once(
    client, make_user, rows
):
    _sign_in(client, make_user, "investigator")
    assert _enrol_on_page(client, "W-01", "A").status_code == 200
    review = _post(
        client, "/participants/code-break", {"step": "review", "participant_id": "W-01", "reason": "SAE"}
    )
    assert review.status_code == 200
    review_text = review.get_data(as_text=True)
    assert 'type="password"' in review_text
    assert "cannot be undone" in review_text
    assert "active" not in review_text
    assert "placebo" not in review_text
    token = _csrf(review.data)
    form = {"step": "confirm", "participant_id": "W-01", "reason": "SAE", "csrf_token": token}
    wrong = client.post("/participants/code-break", data={**form, "password": "not-it"})
    assert wrong.status_code == 401
    assert "active" not in wrong.get_data(as_text=True)
    done = client.post("/participants/code-break", data={**form, "password": PASSWORD})
    assert done.status_code == 200
    assert re.search(r'class="arm">active<', done.get_data(as_text=True))
    assert done.headers["Cache-Control"] == "no-store"


def test_the_code_break_page_refuses_an_empty_reason_before_asking_for_a_password(client, make_user, rows):
    _sign_in(client, make_user, "investigator")
    assert _enrol_on_page(client, "W-01", "A").status_code == 200
    response = _post(
        client, "/participants/code-break", {"step": "review", "participant_id": "W-01", "reason": " "}
    )
    assert response.status_code == 422
    assert 'type="password"' not in response.get_data(as_text=True)
    unknown = _post(
        client, "/participants/code-break", {"step": "review", "participant_id": "W-9", "reason": "SAE"}
    )
    assert unknown.status_code == 422
    assert "No participant W-9" in unknown.get_data(as_text=True)


def test_the_statistician_sees_codes_used_per_stratum_and_the_commitment(client, make_user, rows, login):
    login("investigator").post("/api/v1/participants", json={"participant_id": "W-01", "stratum": "B"})
    _sign_in(client, make_user, "statistician")
    page = client.get("/randomization")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    commitment = login("statistician").get("/api/v1/randomization/lists").json["items"][0]["commitment"]
    assert commitment in text
    assert re.search(r'<progress max="2" value="1"[^>]*Stratum B: 1 of 2', text)
    assert "1 / 2" in text


def test_qa_reads_the_notifications_page(client, make_user, rows, login):
    investigator = login("investigator")
    investigator.post("/api/v1/participants", json={"participant_id": "W-01", "stratum": "A"})
    investigator.post(
        "/api/v1/participants/W-01/unblind", json={"reason": "SAE grade 4", "password": PASSWORD}
    )
    _sign_in(client, make_user, "qa")
    text = client.get("/notifications").get_data(as_text=True)
    assert text.count("Code-break: participant W-01 was unblinded") == 2
    assert "SAE grade 4" in text
    assert "not sent" in text
    assert ">active<" not in text
    assert "placebo" not in text


@pytest.mark.parametrize(
    ("role", "url"),
    [("nurse", "/participants/enrol"), ("pharmacist", "/participants/code-break"), ("qa", "/randomization"),
     ("investigator", "/notifications")],
)  # fmt: skip
def test_pages_refuse_other_roles(client, make_user, role, url):
    _sign_in(client, make_user, role)
    assert client.get(url).status_code == 403
