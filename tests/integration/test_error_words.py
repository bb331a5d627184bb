"""Refusals in the reader's words: a page names a field by its form's label and says what to do in a plain
sentence, in English or Chinese; a service's refusal is translated; an ineligible participant's reason shows
once; the API keeps its codes and English unless the caller asks for Chinese."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.conftest import PASSWORD
from tests.integration.eligibility_support import page_form
from tests.integration.randomization_support import import_list, list_rows
from tests.lots_support import create_lot, lot_body
from tracker.web.problems import field_sentence

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def app_config():
    return {"SITE_TIMEZONE": "Asia/Shanghai"}


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _bad_new_lot(page_client):
    form = {
        "lot_number": "VH-0009", "material": "placebo", "manufactured_at": "2026-12-01T08:00",
        "expires_at": "2027-12-01T08:00", "container_count": "four", "volume_ml_per_container": "ten",
    }  # fmt: skip
    return page_client.submit("/lots/new", form)


def test_a_refused_form_names_its_fields_by_their_labels_and_says_what_to_enter(browse):
    response = _bad_new_lot(browse("gmp"))
    assert response.status_code == 422
    text = _text(response)
    assert "Containers : Enter a whole number." in text
    assert "Volume per container (mL) : Enter a number." in text
    for machine_words in ("container_count", "volume_ml_per_container", "Not a valid"):
        assert machine_words not in text, machine_words


def test_the_same_refusal_is_in_chinese_for_a_chinese_reader(browse):
    lab = browse("gmp")
    lab.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = CHINESE["Accept-Language"]
    text = _text(_bad_new_lot(lab))
    assert "部分字段缺失或无效" in text
    assert "容器 : 请输入整数。" in text
    assert "每容器体积（mL） : 请输入数字。" in text
    assert "Enter a" not in text


def test_a_service_refusal_is_in_chinese_on_its_page(browse, login):
    create_lot(login("gmp"), "VH-0001", "placebo")
    admin = browse("admin")
    admin.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = CHINESE["Accept-Language"]
    response = admin.get("/lots/VH-0001")
    assert response.status_code == 403
    assert "您的角色无权执行此操作" in _text(response)
    assert "Your role may not do this" not in _text(response)


def test_the_api_keeps_its_codes_and_english_unless_asked_for_chinese(login):
    gmp = login("gmp")
    body = {**lot_body("VH-0002", "placebo"), "container_count": "four"}
    english = gmp.post("/api/v1/lots", json=body)
    chinese = gmp.post("/api/v1/lots", json=body, headers=CHINESE)
    assert english.status_code == chinese.status_code == 422
    assert english.json["error"]["code"] == chinese.json["error"]["code"] == "validation_failed"
    assert english.json["error"]["message"] == "Some fields are missing or invalid"
    assert chinese.json["error"]["message"] == "部分字段缺失或无效"
    assert (
        english.json["error"]["details"]
        == chinese.json["error"]["details"]
        == {"container_count": ["Not a valid integer."]}
    )
    wrong_role = login("nurse").get("/api/v1/lots/VH-0002", headers=CHINESE)
    assert wrong_role.status_code == 403
    assert wrong_role.json["error"]["code"] == "wrong_role"
    assert wrong_role.json["error"]["message"] == "您的角色无权执行此操作"


def test_a_time_in_a_refusal_is_the_site_time_to_the_minute(app):
    received = dt.datetime(2026, 12, 3, 6, 30, 15, 123456, tzinfo=dt.UTC).isoformat(timespec="seconds")
    message = f"may not be before the start ({received})"
    with app.test_request_context():
        assert field_sentence(message) == "This may not be before the start (2026-12-03 14:30 CST)."
    with app.test_request_context(headers=CHINESE):
        assert field_sentence(message) == "不得早于开始时间（2026-12-03 14:30 CST）。"


def test_an_ineligible_participants_reason_shows_once(browse, runner, tmp_path):
    import_list(runner, tmp_path, list_rows(per_stratum=2))
    investigator = browse("investigator")
    response = investigator.submit(
        "/participants/enrol", page_form("W-01", stratum="A", eligibility={"haemoglobin": 115})
    )
    assert response.status_code == 422
    text = _text(response)
    assert text.count("115 given; eligible only when") == 1
    assert text.count("Haemoglobin") == 2  # the criterion's label and its refusal beside it
    assert "Not eligible, not randomized" in text

    investigator.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = CHINESE["Accept-Language"]
    text = _text(
        investigator.submit(
            "/participants/enrol", page_form("W-02", stratum="A", eligibility={"haemoglobin": 115})
        )
    )
    assert text.count("血红蛋白：填写为 115；仅当 &gt; 115 g/L 时符合条件") == 1
    assert "Not eligible" not in text
    assert "given" not in text


def test_a_lot_service_refusal_is_said_in_chinese_with_the_lot_it_names(browse, login):
    create_lot(login("gmp"), "VH-0003", "placebo")
    lab = browse("gmp")
    form = {
        "lot_number": "VH-0003", "material": "placebo", "manufactured_at": "2026-12-01T08:00",
        "expires_at": "2027-12-01T08:00", "container_count": "2", "volume_ml_per_container": "100",
    }  # fmt: skip
    assert "Lot VH-0003 already exists" in _text(lab.submit("/lots/new", form))
    lab.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = CHINESE["Accept-Language"]
    refused = lab.submit("/lots/new", form)
    assert refused.status_code == 409
    assert "批次 VH-0003 已存在" in _text(refused)
    assert "already exists" not in _text(refused)


def test_a_refusal_not_yet_marked_where_it_is_raised_is_said_by_its_code_in_chinese(browse, login):
    # A release blocked by missing QC results lists the rules' English sentences where it is raised.
    create_lot(login("gmp"), "VH-0004", "placebo")
    qa = browse("qa")
    form = {"action": "release", "meaning": "Released: QC results reviewed and meet specification",
            "password": PASSWORD}  # fmt: skip
    assert "Lot VH-0004 cannot be released" in _text(qa.submit("/lots/VH-0004/sign", form))
    qa.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = CHINESE["Accept-Language"]
    refused = qa.submit("/lots/VH-0004/sign", form)
    assert refused.status_code == 409
    assert "该批次不能放行：请查看阻碍放行的事项。" in _text(refused)
    assert "cannot be released" not in _text(refused)


def test_a_filter_the_audit_page_cannot_read_is_named_by_its_label(browse):
    qa = browse("qa")
    text = _text(qa.get("/audit?since=yesterday"))
    assert "From: Enter a date, e.g. 2026-12-03, or a date and time, e.g. 2026-12-03 14:30." in text
    assert "since:" not in text
    qa.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = CHINESE["Accept-Language"]
    assert "起始: 请输入日期，例如 2026-12-03，或日期和时间，例如 2026-12-03 14:30。" in _text(
        qa.get("/audit?since=yesterday")
    )


def test_a_services_refusal_names_the_participant_or_the_infusion_in_chinese(login, runner, tmp_path):
    """The sentence is translated with the record it is about in it; the API's English stays the default."""
    import_list(runner, tmp_path, list_rows(per_stratum=2))
    investigator, nurse = login("investigator"), login("nurse")
    investigator.post("/api/v1/participants", json={"participant_id": "P-001", "stratum": "A"})
    body = {"participant_id": "P-001", "stratum": "C"}
    english = investigator.post("/api/v1/participants", json=body)
    chinese = investigator.post("/api/v1/participants", json=body, headers=CHINESE)
    assert english.status_code == chinese.status_code == 409
    assert english.json["error"]["message"] == "Participant P-001 is already enrolled"
    assert chinese.json["error"]["message"] == "受试者 P-001 已入组"
    assert chinese.json["error"]["code"] == "participant_exists"
    missing = nurse.get("/api/v1/infusions/INOSUCHINFU", headers=CHINESE)
    assert missing.status_code == 404
    assert missing.json["error"]["message"] == "没有编号为 INOSUCHINFU 的输注"
    assert nurse.get("/api/v1/infusions/INOSUCHINFU").json["error"]["message"] == (
        "No infusion has the ID INOSUCHINFU"
    )
