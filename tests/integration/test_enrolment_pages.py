"""The investigator's enrolment checklist (review, then confirm) and the participant status page, through the
browser's path: session sign-in and CSRF tokens. The site is in Shenyang (UTC+8)."""

import datetime as dt
import re

import pytest

from tests.integration.eligibility_support import (
    ELIGIBLE,
    NOW,
    confirm_fields,
    freeze_enrolment_clock,
    page_form,
)
from tests.integration.randomization_support import import_list, list_rows, text_mentions_an_arm
from tests.integration.test_randomization_pages import _post, _sign_in

SHENYANG = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def app_config():
    return {"SITE_TIMEZONE": "Asia/Shanghai"}


@pytest.fixture
def rows(runner, tmp_path):
    loaded = list_rows(per_stratum=2)
    import_list(runner, tmp_path, loaded)
    return loaded


def _first_code(rows, stratum):
    return next(code for code, s, _ in rows if s == stratum)


def _local(before: dt.timedelta, now: dt.datetime = NOW) -> str:
    """The onset as the site's datetime-local input sends it: Shenyang wall-clock time, no offset."""
    return (now - before).astimezone(SHENYANG).strftime("%Y-%m-%dT%H:%M")


def _nothing_enrolled(login, participant_id="W-01"):
    assert login("nurse").get(f"/api/v1/participants/{participant_id}").status_code == 404
    assert login("qa").get("/api/v1/audit?entity_type=participant").json["events"] == []


def test_the_enrolment_page_is_a_checklist_with_units_radios_and_an_onset(client, make_user):
    _sign_in(client, make_user, "investigator")
    page = client.get("/participants/enrol").get_data(as_text=True)
    assert 'type="datetime-local"' in page
    assert "Asia/Shanghai" in page
    assert re.search(
        r'<label for="elig_haemoglobin">Haemoglobin <span class="muted">\(eligible when &gt; 115 g/L\)', page
    )
    assert re.search(r'id="elig_haemoglobin" name="elig_haemoglobin" type="number"', page)
    assert re.search(r'name="elig_haemoglobin"[^>]*>\s*<span>g/L</span>', page)
    assert re.search(r'name="elig_age" type="number" step="1"', page)
    assert 'type="radio" name="elig_tumour" value="yes"' in page
    assert 'type="radio" name="elig_tumour" value="no"' in page
    assert "<legend>Exclusion criteria</legend>" in page
    assert "from 3 d to under 7 d" in page  # stratum C's window, as the select shows it
    assert "from 4 wk (28 d) to 183 d" in page  # the last window holds its end
    assert "<script" not in page
    assert "style=" not in page


def test_the_review_shows_the_derived_stratum_stores_nothing_and_confirm_enrols(
    client, make_user, login, rows, monkeypatch
):
    freeze_enrolment_clock(monkeypatch)
    _sign_in(client, make_user, "investigator")
    review = _post(client, "/participants/enrol", page_form("W-01", onset_at=_local(dt.timedelta(hours=30))))
    assert review.status_code == 200
    text = review.get_data(as_text=True)
    assert "Eligible: all 26 criteria are met" in text
    assert re.search(r'Stratum <strong class="code">B</strong> · Onset 1–3 days', text)
    assert "30 h 0 min (1.25 days)" in text
    assert "Confirm and randomize" in text
    _nothing_enrolled(login)
    fields = confirm_fields(text)
    assert fields["stratum"] == "B"
    assert dt.datetime.fromisoformat(fields["onset_at"]) == NOW - dt.timedelta(hours=30)
    done = client.post("/participants/enrol", data=fields)
    assert done.status_code == 200
    done_text = done.get_data(as_text=True)
    assert _first_code(rows, "B") in done_text
    assert "derived from the onset: 30 h 0 min" in done_text
    assert not text_mentions_an_arm(done_text)
    shown = login("nurse").get("/api/v1/participants/W-01").json
    assert shown["stratum"] == "B"
    assert shown["stratum_from_onset"] is True
    assert {c["key"]: c["answer"] for c in shown["eligibility"]["criteria"]}["leukocytes"] == 7.2


def test_a_participant_who_fails_a_criterion_is_refused_on_the_page_with_the_criterion_named(
    client, make_user, login, rows
):
    _sign_in(client, make_user, "investigator")
    response = _post(
        client, "/participants/enrol", page_form("W-01", stratum="A", eligibility={"haemoglobin": 115})
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Not eligible, not randomized" in text
    refusal = r"icon-stop [^>]*>.*?</svg> Haemoglobin: 115 given; eligible only when &gt; 115 g/L"
    assert re.search(refusal, text)
    assert 'class="criterion criterion-problem"' in text
    assert 'name="elig_haemoglobin" type="number" step="any" inputmode="decimal" value="115"' in text
    assert "Confirm and randomize" not in text
    _nothing_enrolled(login)


def test_an_unanswered_criterion_on_the_page_is_named_as_missing(client, make_user, login, rows):
    _sign_in(client, make_user, "investigator")
    form = page_form("W-01", stratum="A")
    del form["elig_epilepsy"]
    form["elig_nihss"] = ""
    response = _post(client, "/participants/enrol", form)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "incomplete" in text
    assert "not answered: Epilepsy" in text
    assert "not answered: NIHSS score" in text
    _nothing_enrolled(login)


def test_a_chosen_stratum_that_disagrees_with_the_onset_is_refused_on_the_page(
    client, make_user, login, rows, monkeypatch
):
    freeze_enrolment_clock(monkeypatch)
    _sign_in(client, make_user, "investigator")
    response = _post(
        client, "/participants/enrol", page_form("W-01", stratum="A", onset_at=_local(dt.timedelta(days=5)))
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "120 h 0 min (5.00 days)" in text
    assert "stratum C" in text
    _nothing_enrolled(login)


def test_an_onset_in_the_future_is_refused_on_the_page(client, make_user, login, rows, monkeypatch):
    freeze_enrolment_clock(monkeypatch)
    _sign_in(client, make_user, "investigator")
    response = _post(
        client, "/participants/enrol", page_form("W-01", onset_at=_local(-dt.timedelta(hours=1)))
    )
    assert response.status_code == 422
    assert "lies in the future" in response.get_data(as_text=True)
    _nothing_enrolled(login)


def test_an_onset_the_page_cannot_read_is_refused(client, make_user, login, rows):
    _sign_in(client, make_user, "investigator")
    response = _post(client, "/participants/enrol", page_form("W-01", onset_at="yesterday"))
    assert response.status_code == 422
    assert "not a date and time" in response.get_data(as_text=True)
    _nothing_enrolled(login)


def test_confirming_after_the_onset_crossed_into_the_next_window_is_refused(
    client, make_user, login, rows, monkeypatch
):
    freeze_enrolment_clock(monkeypatch)
    _sign_in(client, make_user, "investigator")
    before = dt.timedelta(hours=23, minutes=59)
    review = _post(client, "/participants/enrol", page_form("W-01", onset_at=_local(before)))
    assert re.search(r'Stratum <strong class="code">A</strong>', review.get_data(as_text=True))
    freeze_enrolment_clock(monkeypatch, NOW + dt.timedelta(minutes=2))  # the investigator hesitated
    refused = client.post("/participants/enrol", data=confirm_fields(review.get_data(as_text=True)))
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Stratum A disagrees with the onset" in text
    assert "24 h 1 min" in text
    in_chinese = client.post(
        "/participants/enrol", data=confirm_fields(review.get_data(as_text=True)),
        headers={"Accept-Language": "zh-CN"},
    )  # fmt: skip
    assert "分层 A 与发病时间不符：发病至随机化 24 小时 1 分钟（1.00 天），属于分层 B" in in_chinese.get_data(
        as_text=True
    )
    _nothing_enrolled(login)


def test_the_participant_page_shows_the_eligibility_record_and_the_derived_stratum(
    client, make_user, login, rows, monkeypatch
):
    freeze_enrolment_clock(monkeypatch)
    onset = (NOW - dt.timedelta(days=10)).isoformat()
    enrolled = login("investigator").post(
        "/api/v1/participants", json={"participant_id": "W-01", "onset_at": onset, "eligibility": ELIGIBLE}
    )
    assert enrolled.status_code == 201
    login("investigator").post("/api/v1/participants", json={"participant_id": "W-02", "stratum": "E"})
    _sign_in(client, make_user, "nurse")
    page = client.get("/participants/W-01")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "D · Onset 1–4 weeks" in text
    assert "the stroke onset (derived)" in text
    assert "240 h 0 min (10.00 days) before randomization" in text
    assert "2024-02-29 20:00 CST" in text  # the onset in the site's time
    assert re.search(
        r'<th scope="row">Haemoglobin</th><td>inclusion</td><td>&gt; 115 g/L</td><td>132</td>', text
    )
    assert re.search(r'<th scope="row">Epilepsy</th><td>exclusion</td><td>no</td><td>no</td>', text)
    assert _first_code(rows, "D") in text
    assert not text_mentions_an_arm(text)
    other = client.get("/participants/W-02").get_data(as_text=True)
    assert "the investigator's choice (no onset recorded)" in other
    assert "No eligibility checklist was recorded" in other
    listing = client.get("/participants?participant_id=w-01").get_data(as_text=True)
    assert "/participants/W-01" in listing
    assert "/participants/W-02" not in listing
    assert client.get("/participants/NOPE").status_code == 404


def test_the_participant_pages_are_for_investigators_and_nurses(client, make_user):
    _sign_in(client, make_user, "nurse")
    assert "/participants" in client.get("/").get_data(as_text=True)
    assert client.get("/participants/enrol").status_code == 403


def test_a_study_that_requires_the_onset_marks_it_required_on_the_page(
    client, make_user, runner, login, rows
):
    assert runner.invoke(args=["study", "load", "umsis-two-person"]).exit_code == 0
    _sign_in(client, make_user, "investigator")
    page = client.get("/participants/enrol").get_data(as_text=True)
    assert re.search(r'name="onset_at" type="datetime-local"[^>]*required', page)
    response = _post(client, "/participants/enrol", page_form("W-01", stratum="B"))
    assert response.status_code == 422
    assert "derives the stratum from the stroke onset" in response.get_data(as_text=True)
    _nothing_enrolled(login)
