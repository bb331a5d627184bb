"""The adverse event listing (CSV and PDF, through the API and the pages), the SDTM AE export beside SDTM EX
on the reports page, and the adverse events in the participant's record: the same file for every reader, and
nothing in it depends on the arm (no arm, material, lot, container or thaw; two alike events at infusions of
the two arms read alike but for their IDs and times)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from tests.integration.adverse_event_support import MILD, SERIOUS, one_infusion_per_arm
from tests.integration.randomization_support import text_mentions_an_arm
from tests.pdf_support import flat, pdf_text
from tests.pharmacy_support import CELL_LOT, VEHICLE_LOT, iso

READERS = ("nurse", "investigator", "qa")
CSV_COLUMNS = [
    "ae_id", "participant_id", "infusion_id", "bag_id", "onset_at", "resolved_at", "description", "grade",
    "serious", "seriousness_criteria", "actions_taken", "treatment", "causality", "outcome", "assessed_by",
    "assessed_at", "recorded_by", "recorded_by_role", "recorded_at", "report_due_at", "sponsor_reported_at",
    "sponsor_reported_by", "reported_late", "overdue",
]  # fmt: skip
TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d| ?UTC)?")


@pytest.fixture
def app_config():
    # The sponsor clock runs 24 hours: the test's sign-ins must outlast a day on the moved clock.
    return {"TOKEN_TTL_MINUTES": 3 * 24 * 60, "SESSION_MAX_HOURS": 72}


@pytest.fixture
def trial(login, runner, tmp_path):
    return one_infusion_per_arm(login, runner, tmp_path)


def _record(client, infusion_id, **body):
    response = client.post(
        f"/api/v1/infusions/{infusion_id}/adverse-events", json={"onset_at": iso(), **MILD, **body}
    )
    assert response.status_code == 201, response.json
    return response.json


def _rows(response):
    assert response.status_code == 200, response.data[:300]
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _unblinded_names(trial) -> list[str]:
    """What a blinded reader must not find besides the arm words: the lots and their containers."""
    return [CELL_LOT, VEHICLE_LOT, *trial.cell_containers, *trial.vehicle_containers]


def _masked(text: str, events: dict[str, dict]) -> dict[str, str]:
    """Each arm's text with its own IDs and every time replaced by placeholders."""
    out = {}
    for arm, event in events.items():
        said = text
        for key in ("ae_id", "infusion_id", "bag_id", "participant_id"):
            said = said.replace(event[key], f"<{key}>")
        out[arm] = TIME.sub("<time>", said)
    return out


def _alike_events(trial) -> dict[str, dict]:
    """The same serious event at the infusion of each arm, reported and assessed alike."""
    events = {}
    for arm in ("active", "placebo"):
        event = _record(trial.nurse, trial.infusions[arm]["infusion_id"], **SERIOUS)
        url = f"/api/v1/adverse-events/{event['ae_id']}"
        reported = trial.investigator.post(
            f"{url}/sponsor-report", json={"reported_at": iso(), "note": "Faxed"}
        )
        assert reported.status_code == 200, reported.json
        assessed = trial.investigator.post(
            f"{url}/assessment", json={"causality": "possible", "outcome": "recovered", "resolved_at": iso()}
        )
        assert assessed.status_code == 200, assessed.json
        events[arm] = assessed.json
    return events


# ---- the CSV -----------------------------------------------------------------------------------------------


def test_the_csv_lists_every_event_with_its_clock_assessment_and_provenance(trial, clock):
    serious = _record(trial.nurse, trial.infusions["active"]["infusion_id"], **SERIOUS)
    mild = _record(trial.nurse, trial.infusions["placebo"]["infusion_id"])
    clock.advance(dt.timedelta(hours=25))  # the serious one is overdue now
    assessed = trial.investigator.post(
        f"/api/v1/adverse-events/{mild['ae_id']}/assessment",
        json={"causality": "unlikely", "outcome": "recovered", "resolved_at": iso()},
    )
    assert assessed.status_code == 200, assessed.json
    response = trial.qa.get("/api/v1/reports/adverse-events.csv")
    rows = _rows(response)
    assert list(rows[0]) == CSV_COLUMNS
    assert response.headers["X-Generated-By"] == trial.qa.username
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", response.headers["X-Audit-Chain-Head"])
    assert "adverse-events.csv" in response.headers["Content-Disposition"]
    by_id = {r["ae_id"]: r for r in rows}
    assert set(by_id) == {serious["ae_id"], mild["ae_id"]}
    row = by_id[serious["ae_id"]]
    assert row["participant_id"] == serious["participant_id"]
    assert row["infusion_id"] == trial.infusions["active"]["infusion_id"]
    assert row["bag_id"] == serious["bag_id"] == trial.infusions["active"]["bag_id"]
    assert (row["grade"], row["serious"]) == ("3", "True")
    assert row["seriousness_criteria"] == "hospitalisation; other_medically_important"
    assert row["actions_taken"] == "infusion_stopped; treated"
    assert row["treatment"] == SERIOUS["treatment"]
    assert row["report_due_at"] == serious["report_due_at"]
    assert (row["sponsor_reported_at"], row["overdue"], row["reported_late"]) == ("", "True", "False")
    assert (row["causality"], row["outcome"], row["resolved_at"]) == ("", "", "")
    row = by_id[mild["ae_id"]]
    assert (row["serious"], row["seriousness_criteria"], row["report_due_at"], row["overdue"]) == (
        "False", "", "", "False"
    )  # fmt: skip
    assert (row["causality"], row["outcome"]) == ("unlikely", "recovered")
    assert row["resolved_at"]
    assert row["assessed_by"] == trial.investigator.username
    # By participant, then onset.
    assert [r["participant_id"] for r in rows] == sorted(r["participant_id"] for r in rows)


def test_a_report_late_to_the_sponsor_reads_late_in_the_csv(trial, clock):
    event = _record(trial.nurse, trial.infusions["placebo"]["infusion_id"], **SERIOUS)
    clock.advance(dt.timedelta(hours=30))
    reported = trial.investigator.post(
        f"/api/v1/adverse-events/{event['ae_id']}/sponsor-report",
        json={"reported_at": clock.now().isoformat()},
    )
    assert reported.status_code == 200, reported.json
    (row,) = _rows(trial.investigator.get("/api/v1/reports/adverse-events.csv"))
    assert (row["reported_late"], row["overdue"]) == ("True", "False")
    assert row["sponsor_reported_by"] == trial.investigator.username


def test_every_reader_gets_the_same_files_and_the_others_none(trial, login):
    _alike_events(trial)
    files = {}
    for role in READERS:
        client = getattr(trial, role)
        files[role] = (
            [{k: v for k, v in r.items()} for r in _rows(client.get("/api/v1/reports/adverse-events.csv"))],
            TIME.sub("<time>", flat(pdf_text(client.get("/api/v1/reports/adverse-events.pdf")))),
        )
    assert files["nurse"][0] == files["investigator"][0] == files["qa"][0]
    # Alike but for the reader's name where the file says who made it.
    pdf = {
        role: re.sub(rf"(by|·) {re.escape(getattr(trial, role).username)}\b", r"\1 <reader>", text)
        for role, (_, text) in files.items()
    }
    assert pdf["nurse"] == pdf["investigator"] == pdf["qa"]
    for role in ("pharmacist", "statistician", "gmp", "admin"):
        client = login(role)
        for url in ("/api/v1/reports/adverse-events.csv", "/api/v1/reports/adverse-events.pdf"):
            assert client.get(url).status_code == 403, (role, url)


def test_nothing_in_the_listing_depends_on_the_arm(trial):
    events = _alike_events(trial)
    for role in READERS:
        client = getattr(trial, role)
        csv_text = client.get("/api/v1/reports/adverse-events.csv").get_data(as_text=True)
        pdf = flat(pdf_text(client.get("/api/v1/reports/adverse-events.pdf")))
        for text in (csv_text, pdf):
            assert not text_mentions_an_arm(text), role
            for name in _unblinded_names(trial):
                assert name not in text, (role, name)
        # The two arms' rows are one row but for their IDs and times.
        rows = {r["ae_id"]: r for r in _rows(client.get("/api/v1/reports/adverse-events.csv"))}
        masked = {
            arm: _masked(",".join(rows[e["ae_id"]].values()), {arm: e})[arm] for arm, e in events.items()
        }
        assert masked["active"] == masked["placebo"], masked
        # In the PDF too: each event's row, up to the next event or the signature block.
        pdf_rows = {}
        for arm, event in events.items():
            start_at = pdf.index(event["ae_id"])
            ends = [pdf.find(e["ae_id"], start_at + 1) for e in events.values()]
            ends = [e for e in ends if e > start_at] + [pdf.index("Review and signature")]
            pdf_rows[arm] = _masked(pdf[start_at : min(ends)], {arm: event})[arm]
        assert pdf_rows["active"] == pdf_rows["placebo"], pdf_rows


def test_the_pdf_counts_serious_and_not_by_grade_and_lists_every_event(trial, clock):
    serious = _record(trial.nurse, trial.infusions["active"]["infusion_id"], **SERIOUS)
    mild = _record(trial.nurse, trial.infusions["placebo"]["infusion_id"])
    clock.advance(dt.timedelta(hours=25))
    text = flat(pdf_text(trial.qa.get("/api/v1/reports/adverse-events.pdf")))
    assert "Adverse event listing" in text
    for said in ("Serious 1", "Not serious 1", "Overdue for the sponsor 1", "All 2", "Review and signature"):
        assert said in text, said
    # By grade: grade, serious, not serious, all.
    for counts in ("1 0 1 1", "2 0 0 0", "3 1 0 1"):
        assert counts in text, counts
    for said in (serious["ae_id"], mild["ae_id"], "Hospitalisation or its prolongation", "Infusion stopped",
                 "Infusion slowed", "overdue", "not yet assessed", "no clock (not serious)",
                 trial.infusions["active"]["bag_id"]):  # fmt: skip
        assert said in text, said


# ---- the pages ---------------------------------------------------------------------------------------------


def test_the_reports_page_and_the_adverse_event_list_link_the_listing_for_its_readers(trial, browse):
    event = _record(trial.nurse, trial.infusions["active"]["infusion_id"])
    for role in READERS:
        page = browse(role)
        for url in ("/reports", "/adverse-events"):
            html = page.get(url).get_data(as_text=True)
            assert "/reports/adverse-events.pdf" in html, (role, url)
            assert "/reports/adverse-events.csv" in html, (role, url)
        rows = _rows(page.get("/reports/adverse-events.csv"))
        assert [r["ae_id"] for r in rows] == [event["ae_id"]]
        assert event["ae_id"] in flat(pdf_text(page.get("/reports/adverse-events.pdf")))
    for role in ("statistician", "pharmacist", "admin"):
        page = browse(role)
        assert "/reports/adverse-events.csv" not in page.get("/reports").get_data(as_text=True), role
        assert page.get("/reports/adverse-events.csv").status_code == 403, role
        assert page.get("/reports/adverse-events.pdf").status_code == 403, role


def test_the_sdtm_ae_export_is_on_the_reports_page_beside_sdtm_ex(trial, browse):
    _record(trial.nurse, trial.infusions["active"]["infusion_id"], **SERIOUS)
    for role in ("qa", "admin", "statistician"):
        page = browse(role)
        html = page.get("/reports").get_data(as_text=True)
        assert "/reports/sdtm-ex.csv" in html, role
        assert "/reports/sdtm-ae.csv" in html, role
        rows = _rows(page.get("/reports/sdtm-ae.csv"))
        assert [(r["DOMAIN"], r["AESER"]) for r in rows] == [("AE", "Y")]
    api = trial.qa.get("/api/v1/exports/sdtm-ae.csv").get_data(as_text=True)
    assert browse("qa").get("/reports/sdtm-ae.csv").get_data(as_text=True) == api
    for role in ("nurse", "investigator", "pharmacist"):
        page = browse(role)
        assert "/reports/sdtm-ae.csv" not in page.get("/reports").get_data(as_text=True), role
        assert page.get("/reports/sdtm-ae.csv").status_code == 403, role


def test_the_listing_pdf_speaks_chinese(trial, browse, clock):
    _record(trial.nurse, trial.infusions["active"]["infusion_id"], **SERIOUS)
    _record(trial.nurse, trial.infusions["placebo"]["infusion_id"])
    clock.advance(dt.timedelta(hours=25))
    investigator = browse("investigator")
    investigator.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    text = flat(pdf_text(investigator.get("/reports/adverse-events.pdf")))
    for words in ("不良事件一览表", "严重", "审核与签名", "住院或延长住院", "停止输注", "申办方报告时限"):
        assert words in text, words
    for english in ("Adverse event listing", "Not serious", "Sponsor clock", "overdue", "Infusion stopped"):
        assert english not in text, english


# ---- the participant's record ------------------------------------------------------------------------------


def test_the_participant_record_lists_the_participants_adverse_events_alike_for_both_arms(trial):
    events = _alike_events(trial)

    def record(client, arm: str) -> str:
        return flat(pdf_text(client.get(f"/api/v1/participants/{events[arm]['participant_id']}/record.pdf")))

    texts = {}
    for arm, event in events.items():
        text = record(trial.investigator, arm)
        assert "Adverse events" in text
        assert event["ae_id"] in text
        assert "Recovered/resolved" in text
        others = [e["ae_id"] for a, e in events.items() if a != arm]
        assert not any(other in text for other in others), arm
        code = trial.participants[event["participant_id"]][0]
        texts[arm] = _masked(text.replace(code, "<code>"), {arm: event})[arm]
    assert texts["active"] == texts["placebo"]
    extra = _record(trial.nurse, trial.infusions["active"]["infusion_id"])
    active = record(trial.nurse, "active")
    assert extra["ae_id"] in active
    assert "not yet assessed" in active
    assert record(trial.nurse, "placebo").count("AE-") == 1
