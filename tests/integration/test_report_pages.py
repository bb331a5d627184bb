"""The reports page hands signed-in people the same files as the API, each role only its own."""

from __future__ import annotations

import pytest

from tests.integration.test_chinese_coverage import PEOPLE_TEXT, ROLES, english_words
from tests.pdf_support import embedded_fonts, flat, pdf_text
from tests.pharmacy_support import build_trial
from tests.ward_support import ready_bag


@pytest.fixture
def bag(login, runner, tmp_path):
    return ready_bag(build_trial(login, runner, tmp_path))


def test_qa_finds_accountability_code_breaks_and_the_ex_export(bag, browse):
    qa = browse("qa")
    page = qa.get("/reports").get_data(as_text=True)
    for link in ("/reports/accountability.pdf", "/reports/accountability.csv", "/reports/code-breaks.csv",
                 "/reports/sdtm-ex.csv"):  # fmt: skip
        assert link in page
    csv_file = qa.get("/reports/accountability.csv")
    assert csv_file.mimetype == "text/csv"
    assert bag["bag_id"] in csv_file.get_data(as_text=True)
    assert csv_file.headers["X-Generated-By"] == qa.username
    assert qa.get("/reports/accountability.pdf").mimetype == "application/pdf"
    assert qa.get("/reports/code-breaks.csv").get_data(as_text=True).startswith("participant_id,")


def test_a_nurse_opens_a_bags_custody_pdf_but_no_accountability(bag, browse):
    nurse = browse("nurse")
    page = nurse.get("/reports").get_data(as_text=True)
    assert "/reports/accountability.pdf" not in page
    assert nurse.get("/reports/accountability.pdf").status_code == 403
    pdf = nurse.get(f"/reports/custody.pdf?bag_id={bag['bag_id']}")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert nurse.get("/reports/custody.pdf?bag_id=B2222222222L").status_code == 404
    assert nurse.get("/reports/custody.pdf").status_code == 422
    record = nurse.get(f"/reports/record.pdf?participant_id={bag['participant_id']}")
    assert record.mimetype == "application/pdf"


def test_qa_exports_the_audit_trail_of_one_bag_from_the_reports_page(bag, browse):
    qa = browse("qa")
    assert 'href="/audit"' in qa.get("/reports").get_data(as_text=True)  # the trail's one search form
    csv_file = qa.get(f"/reports/audit.csv?entity_type=bag&entity_id={bag['bag_id']}&since=&until=")
    assert csv_file.status_code == 200
    lines = csv_file.get_data(as_text=True).splitlines()
    assert lines[0].startswith("seq,at,user,role,action,entity_type,entity_id")
    assert len(lines) > 1
    assert all(f"bag,{bag['bag_id']}" in line for line in lines[1:])
    pdf = qa.get(f"/reports/audit.pdf?entity_type=bag&entity_id={bag['bag_id']}")
    assert pdf.mimetype == "application/pdf"
    assert qa.get("/reports/audit.csv?entity_type=spaceship").status_code == 422


def test_qa_searches_the_audit_trail_by_entity_and_pages_through_it(bag, browse):
    qa = browse("qa")
    page = qa.get(f"/audit?entity_type=bag&entity_id={bag['bag_id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for action, words in (("prepare", "Prepare"), ("dispatch", "Dispatch"), ("receive", "Receive")):
        assert f'<td data-action="{action}">{words}</td>' in text
    # The pharmacist's unblinded facts are not in QA's view of the bag's events.
    assert "VEH-0001" not in text
    assert "UC-0001" not in text
    refused = qa.get("/audit?entity_type=spaceship&since=yesterday")
    assert refused.status_code == 422
    assert "entity_type" in refused.get_data(as_text=True)


def test_qa_follows_a_bag_from_the_audit_trail_to_its_custody_timeline(bag, browse):
    qa = browse("qa")
    text = qa.get(f"/audit?entity_type=bag&entity_id={bag['bag_id']}").get_data(as_text=True)
    link = f'href="/ward/bags/{bag["bag_id"]}"'
    assert link in text
    timeline = qa.get(f"/ward/bags/{bag['bag_id']}")
    assert timeline.status_code == 200
    assert 'class="timeline"' in timeline.get_data(as_text=True)


def test_the_records_and_the_access_review_print_in_chinese(login, runner, tmp_path, browse):
    """A bag's custody, a participant's record (the pharmacist's with the lot and the thaw) and the access
    review in Chinese: headings, actions, statuses and roles in words, with the Chinese font in the file."""
    trial = build_trial(login, runner, tmp_path)
    bag = ready_bag(trial)
    readers = {role: browse(role) for role in ("nurse", "pharmacist", "qa")}
    for page_client in readers.values():
        page_client.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    names = {*(c.username for c in readers.values()), *PEOPLE_TEXT, *(f"{r.title()} Tester" for r in ROLES)}
    names |= {trial.pharmacist.username, trial.nurse.username, trial.qa.username}
    files = {
        "custody": readers["nurse"].get(f"/reports/custody.pdf?bag_id={bag['bag_id']}"),
        "unblinded custody": readers["pharmacist"].get(f"/reports/custody.pdf?bag_id={bag['bag_id']}"),
        "record": readers["qa"].get(f"/reports/record.pdf?participant_id={bag['participant_id']}"),
        "access review": readers["qa"].get("/reports/access-review.pdf"),
    }
    texts = {what: pdf_text(response) for what, response in files.items()}
    custody = (
        "身份与保管链", "保管、扫码与输注（最早的在前）", "已配制", "已发出", "已接收", "护士", "第 1 页，共",
    )  # fmt: skip
    for words in custody:
        assert words in texts["custody"], words
    for words in ("物料（非盲：仅限药师）", "签名", "复苏"):
        assert words in texts["unblinded custody"], words
    for words in ("受试者记录", "核对此腕带的扫码", "随机号"):
        assert words in texts["record"], words
    for words in ("当前账户", "账户变更", "用户名", "审核与签名"):
        assert words in texts["access review"], words
    english = {what: english_words([flat(text)], names) for what, text in texts.items()}
    assert not any(english.values()), english
    for what, response in files.items():
        assert any("WenQuanYiMicroHei" in name for name in embedded_fonts(response)), what
