"""The reports page hands signed-in people the same files as the API, each role only its own."""

from __future__ import annotations

import pytest

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
    assert 'name="entity_type"' in qa.get("/reports").get_data(as_text=True)
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
    for action in ("prepare", "dispatch", "receive"):
        assert f"<td>{action}</td>" in text
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
