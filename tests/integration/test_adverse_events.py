"""Adverse events at infusion through the API and the pages: the nurse records a reaction, a serious one
starts the 24-hour sponsor clock with its notifications, the investigator reports it and assesses causality
and outcome; roles, validation, blinding, and the CDISC SDTM AE export checked value by value."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import pytest
from sqlalchemy import select

from tests.integration.adverse_event_support import MILD, SERIOUS, one_infusion_per_arm
from tests.integration.randomization_support import mentions_an_arm, text_mentions_an_arm
from tests.pharmacy_support import CELL_LOT, VEHICLE_LOT, iso
from tracker.db import CLOCK
from tracker.notifications.models import Notification
from tracker.web.context import reader


@pytest.fixture
def app_config():
    # The sponsor clock runs 24 hours: the test's sign-ins must outlast a day on the moved clock.
    return {"TOKEN_TTL_MINUTES": 3 * 24 * 60, "SESSION_MAX_HOURS": 72}


@pytest.fixture
def trial(login, runner, tmp_path):
    return one_infusion_per_arm(login, runner, tmp_path)


def _record(client, infusion_id, **body):
    return client.post(
        f"/api/v1/infusions/{infusion_id}/adverse-events", json={"onset_at": iso(), **MILD, **body}
    )


def _notifications(app):
    with app.app_context(), reader() as work:
        return [
            (n.kind, n.audience, n.subject, n.body)
            for n in work.session.execute(select(Notification).order_by(Notification.id)).scalars()
        ]


def _audit(qa, ae_id):
    return qa.get(f"/api/v1/audit?entity_type=adverse_event&entity_id={ae_id}").json["events"]


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# ---- recording ---------------------------------------------------------------------------------------------


def test_a_nurse_records_a_reaction_at_an_infusion_with_an_audit_event_and_no_notification(app, trial):
    infusion = trial.infusions["active"]
    recorded = _record(trial.nurse, infusion["infusion_id"])
    assert recorded.status_code == 201, recorded.json
    ae = recorded.json
    assert re.fullmatch(r"AE-[2-9A-HJKMNP-Z]{8}[0-9A-Z]", ae["ae_id"])
    assert ae["infusion_id"] == infusion["infusion_id"]
    assert ae["participant_id"] == infusion["participant_id"]
    assert ae["bag_id"] == infusion["bag_id"]
    assert (ae["grade"], ae["serious"], ae["actions_taken"]) == (1, False, ["infusion_slowed"])
    assert ae["report_due_at"] is None
    assert ae["overdue"] is False
    assert ae["open"] is True  # not yet assessed
    assert ae["recorded_by"] == trial.nurse.username
    assert _notifications(app) == []
    events = _audit(trial.qa, ae["ae_id"])
    assert [e["action"] for e in events] == ["record_adverse_event"]
    assert events[0]["after"]["description"] == "Flushing"
    assert trial.investigator.get(f"/api/v1/adverse-events/{ae['ae_id'].lower()}").json == ae


def test_a_serious_event_starts_a_24_hour_clock_and_notifies_the_investigator_qa_and_the_sponsor(
    app, trial, clock
):
    recorded = _record(trial.nurse, trial.infusions["placebo"]["infusion_id"], **SERIOUS)
    assert recorded.status_code == 201, recorded.json
    ae = recorded.json
    recorded_at = dt.datetime.fromisoformat(ae["recorded_at"])
    assert dt.datetime.fromisoformat(ae["report_due_at"]) == recorded_at + dt.timedelta(hours=24)
    assert ae["seriousness_criteria"] == ["hospitalisation", "other_medically_important"]
    notes = _notifications(app)
    assert sorted(n[1] for n in notes) == ["investigator", "qa", "sponsor"]
    for kind, _, subject, body in notes:
        assert kind == "serious_adverse_event"
        assert ae["ae_id"] in subject
        assert ae["participant_id"] in body
        assert not text_mentions_an_arm(subject + body)
        assert VEHICLE_LOT not in body
        assert CELL_LOT not in body

    clock.advance(dt.timedelta(hours=23))
    assert trial.investigator.get(f"/api/v1/adverse-events/{ae['ae_id']}").json["overdue"] is False
    clock.advance(dt.timedelta(hours=2))
    late = trial.investigator.get(f"/api/v1/adverse-events/{ae['ae_id']}").json
    assert late["overdue"] is True
    assert late["open"] is True

    reported = trial.investigator.post(
        f"/api/v1/adverse-events/{ae['ae_id']}/sponsor-report",
        json={"reported_at": CLOCK.now().isoformat(), "note": "Faxed to the sponsor's safety desk"},
    )
    assert reported.status_code == 200, reported.json
    assert reported.json["overdue"] is False  # the clock has stopped
    assert reported.json["reported_late"] is True
    assert reported.json["sponsor_reported_by"] == trial.investigator.username
    again = trial.investigator.post(
        f"/api/v1/adverse-events/{ae['ae_id']}/sponsor-report", json={"reported_at": CLOCK.now().isoformat()}
    )
    assert again.status_code == 409
    assert again.json["error"]["code"] == "already_reported"
    assert [e["action"] for e in _audit(trial.qa, ae["ae_id"])] == [
        "record_adverse_event",
        "report_to_sponsor",
    ]


def test_a_report_in_time_is_not_late_and_a_non_serious_event_has_no_clock(trial):
    serious = _record(trial.nurse, trial.infusions["active"]["infusion_id"], **SERIOUS).json
    url = f"/api/v1/adverse-events/{serious['ae_id']}/sponsor-report"
    future = trial.investigator.post(url, json={"reported_at": iso(dt.timedelta(hours=1))})
    assert future.status_code == 422
    reported = trial.investigator.post(url, json={"reported_at": iso()})
    assert reported.status_code == 200, reported.json
    assert reported.json["reported_late"] is False
    mild = _record(trial.nurse, trial.infusions["active"]["infusion_id"]).json
    refused = trial.investigator.post(
        f"/api/v1/adverse-events/{mild['ae_id']}/sponsor-report", json={"reported_at": iso()}
    )
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "not_serious"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"serious": True}, "seriousness_criteria"),
        ({"seriousness_criteria": ["death"]}, "seriousness_criteria"),
        ({"grade": 5, "serious": True, "seriousness_criteria": ["hospitalisation"]}, "grade"),
        ({"actions_taken": ["treated"]}, "treatment"),
        ({"actions_taken": ["none", "infusion_stopped"]}, "actions_taken"),
        ({"actions_taken": []}, "actions_taken"),
        ({"grade": 6}, "grade"),
        ({"grade": "3"}, "grade"),
        ({"description": ""}, "description"),
        ({"description": "x" * 201}, "description"),
        ({"actions_taken": ["infusion_paused"]}, "actions_taken"),
        ({"seriousness_criteria": ["boredom"], "serious": True}, "seriousness_criteria"),
        ({"onset_at": "2026-13-01T00:00:00+00:00"}, "onset_at"),
    ],
)
def test_a_recording_that_does_not_hold_together_is_422_naming_the_field(trial, body, field):
    refused = _record(trial.nurse, trial.infusions["active"]["infusion_id"], **body)
    assert refused.status_code == 422, refused.json
    assert field in refused.json["error"]["details"]
    assert trial.investigator.get("/api/v1/adverse-events").json["items"] == []


def test_the_onset_may_not_lie_in_the_future_nor_well_before_the_infusion_started(trial):
    infusion_id = trial.infusions["active"]["infusion_id"]
    future = _record(trial.nurse, infusion_id, onset_at=iso(dt.timedelta(minutes=10)))
    assert future.status_code == 422
    assert future.json["error"]["code"] == "time_in_future"
    early = _record(trial.nurse, infusion_id, onset_at=iso(-dt.timedelta(minutes=20)))
    assert early.status_code == 422
    assert early.json["error"]["code"] == "time_out_of_order"
    # A few minutes' disagreement between the ward's clocks is allowed.
    assert _record(trial.nurse, infusion_id, onset_at=iso(-dt.timedelta(minutes=4))).status_code == 201
    missing = _record(trial.nurse, "I222222222N")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "infusion_not_found"


def test_who_may_record_read_report_and_assess(trial, login):
    infusion_id = trial.infusions["active"]["infusion_id"]
    by_investigator = _record(trial.investigator, infusion_id, **SERIOUS)
    assert by_investigator.status_code == 201
    ae_id = by_investigator.json["ae_id"]
    for role in ("pharmacist", "statistician", "gmp", "admin", "qa"):
        user = login(role)
        assert _record(user, infusion_id).status_code == 403, role
    for role in ("pharmacist", "statistician", "gmp", "admin"):
        assert login(role).get("/api/v1/adverse-events").status_code == 403, role
    assert trial.qa.get(f"/api/v1/adverse-events/{ae_id}").status_code == 200
    assert trial.nurse.get("/api/v1/adverse-events").status_code == 200
    for client in (trial.nurse, trial.qa):
        assert (
            client.post(
                f"/api/v1/adverse-events/{ae_id}/sponsor-report", json={"reported_at": iso()}
            ).status_code
            == 403
        )
        assert (
            client.post(
                f"/api/v1/adverse-events/{ae_id}/assessment",
                json={"causality": "possible", "outcome": "recovering"},
            ).status_code
            == 403
        )


# ---- assessment --------------------------------------------------------------------------------------------


def test_the_investigator_assesses_causality_and_outcome_with_the_end_date_of_an_event_that_ended(trial):
    ae = _record(trial.nurse, trial.infusions["active"]["infusion_id"]).json
    url = f"/api/v1/adverse-events/{ae['ae_id']}/assessment"
    no_end = trial.investigator.post(url, json={"causality": "probable", "outcome": "recovered"})
    assert no_end.status_code == 422
    assert "resolved_at" in no_end.json["error"]["details"]
    early_end = trial.investigator.post(
        url,
        json={"causality": "probable", "outcome": "recovered", "resolved_at": iso(-dt.timedelta(hours=1))},
    )
    assert early_end.status_code == 422
    end_too_soon = trial.investigator.post(
        url, json={"causality": "probable", "outcome": "recovering", "resolved_at": iso()}
    )
    assert end_too_soon.status_code == 422
    fatal = trial.investigator.post(
        url, json={"causality": "possible", "outcome": "fatal", "resolved_at": iso()}
    )
    assert fatal.status_code == 422
    assert "outcome" in fatal.json["error"]["details"]
    assert (
        trial.investigator.post(url, json={"causality": "likely", "outcome": "recovering"}).status_code == 422
    )

    recovering = trial.investigator.post(url, json={"causality": "probable", "outcome": "recovering"})
    assert recovering.status_code == 200, recovering.json
    assert (recovering.json["causality"], recovering.json["outcome"]) == ("probable", "recovering")
    assert recovering.json["open"] is True
    assert recovering.json["assessed_by"] == trial.investigator.username
    ended = iso()
    resolved = trial.investigator.post(
        url, json={"causality": "probable", "outcome": "recovered", "resolved_at": ended}
    )
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["open"] is False
    assert dt.datetime.fromisoformat(resolved.json["resolved_at"]) == dt.datetime.fromisoformat(ended)
    events = _audit(trial.qa, ae["ae_id"])
    assert [e["action"] for e in events] == [
        "record_adverse_event",
        "assess_adverse_event",
        "assess_adverse_event",
    ]
    assert events[-1]["before"] == {"outcome": "recovering", "resolved_at": None}


def test_the_list_puts_serious_events_first_and_filters_serious_and_open(trial):
    active, placebo = trial.infusions["active"]["infusion_id"], trial.infusions["placebo"]["infusion_id"]
    first_mild = _record(trial.nurse, active, onset_at=iso(-dt.timedelta(minutes=2))).json["ae_id"]
    serious = _record(trial.nurse, placebo, **SERIOUS, onset_at=iso(-dt.timedelta(minutes=3))).json["ae_id"]
    later_mild = _record(trial.nurse, placebo).json["ae_id"]
    items = trial.investigator.get("/api/v1/adverse-events").json["items"]
    assert [i["ae_id"] for i in items] == [serious, later_mild, first_mild]
    only_serious = trial.investigator.get("/api/v1/adverse-events?serious=true").json["items"]
    assert [i["ae_id"] for i in only_serious] == [serious]
    trial.investigator.post(
        f"/api/v1/adverse-events/{first_mild}/assessment",
        json={"causality": "unlikely", "outcome": "recovered", "resolved_at": iso()},
    )
    still_open = trial.investigator.get("/api/v1/adverse-events?open=true").json["items"]
    assert [i["ae_id"] for i in still_open] == [serious, later_mild]
    closed = trial.investigator.get("/api/v1/adverse-events?open=false").json["items"]
    assert [i["ae_id"] for i in closed] == [first_mild]
    of_active = trial.qa.get(f"/api/v1/adverse-events?infusion_id={active}").json["items"]
    assert [i["ae_id"] for i in of_active] == [first_mild]


# ---- blinding ----------------------------------------------------------------------------------------------


def test_an_adverse_event_answer_is_the_same_shape_for_both_arms_and_names_no_arm_lot_or_container(trial):
    answers = {
        arm: _record(trial.nurse, trial.infusions[arm]["infusion_id"], **SERIOUS).json
        for arm in ("active", "placebo")
    }
    assert set(answers["active"]) == set(answers["placebo"])
    containers = trial.cell_containers + trial.vehicle_containers
    for client in (trial.nurse, trial.investigator, trial.qa):
        for answer in (client.get("/api/v1/adverse-events").json, *answers.values()):
            assert not mentions_an_arm(answer)
            text = str(answer)
            assert CELL_LOT not in text
            assert VEHICLE_LOT not in text
            assert not any(c in text for c in containers)
            for forbidden in ("lot", "material", "container", "thaw"):
                assert not any(forbidden in key for item in answer.get("items", [answer]) for key in item)


# ---- the SDTM AE export ------------------------------------------------------------------------------------

AE_VARIABLES = [
    "STUDYID",
    "DOMAIN",
    "USUBJID",
    "AESEQ",
    "AETERM",
    "AESTDTC",
    "AEENDTC",
    "AETOXGR",
    "AESER",
    "AEREL",
    "AEACN",
    "AEOUT",
    "AECONTRT",
    "AESDTH",
    "AESLIFE",
    "AESHOSP",
    "AESDISAB",
    "AESCONG",
    "AESMIE",
]
# CDISC controlled terminology the export claims: OUT (C66768), ACN (C66767), NY (C66742), and the AEREL
# terms it documents; an empty cell is allowed where the variable may be null.
AEOUT_CT = {
    "RECOVERED/RESOLVED",
    "RECOVERING/RESOLVING",
    "NOT RECOVERED/NOT RESOLVED",
    "RECOVERED/RESOLVED WITH SEQUELAE",
    "FATAL",
    "UNKNOWN",
}
AEACN_CT = {
    "DOSE INCREASED",
    "DOSE NOT CHANGED",
    "DOSE RATE REDUCED",
    "DOSE REDUCED",
    "DRUG INTERRUPTED",
    "DRUG WITHDRAWN",
    "NOT APPLICABLE",
    "UNKNOWN",
}
AEREL_TERMS = {"NOT RELATED", "UNLIKELY RELATED", "POSSIBLY RELATED", "PROBABLY RELATED", "RELATED"}
FLAGS = ("AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE")
ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def _csv(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_sdtm_ae_export_has_the_variables_and_controlled_terms_it_claims(trial, login):
    active, placebo = trial.infusions["active"], trial.infusions["placebo"]
    mild = _record(trial.nurse, active["infusion_id"]).json
    serious = _record(trial.nurse, active["infusion_id"], **SERIOUS).json
    death = _record(
        trial.investigator,
        placebo["infusion_id"],
        description="Anaphylaxis",
        grade=5,
        serious=True,
        seriousness_criteria=["death", "life_threatening"],
        actions_taken=["none"],
    ).json
    url = "/api/v1/adverse-events/{}/assessment"
    trial.investigator.post(
        url.format(mild["ae_id"]),
        json={"causality": "definite", "outcome": "recovered", "resolved_at": iso()},
    )
    trial.investigator.post(
        url.format(serious["ae_id"]), json={"causality": "possible", "outcome": "recovering"}
    )
    trial.investigator.post(
        url.format(death["ae_id"]),
        json={"causality": "not_related", "outcome": "fatal", "resolved_at": iso()},
    )

    response = trial.qa.get("/api/v1/exports/sdtm-ae.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["X-Generated-By"] == trial.qa.username
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", response.headers["X-Audit-Chain-Head"])
    header, *rows = _csv(response)
    assert header == AE_VARIABLES
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert len(records) == 3
    for record in records:
        assert record["STUDYID"] == "UMSIS"
        assert record["DOMAIN"] == "AE"
        assert record["USUBJID"] in {
            f"UMSIS-{active['participant_id']}",
            f"UMSIS-{placebo['participant_id']}",
        }
        assert re.fullmatch(r"[1-9]\d*", record["AESEQ"])
        assert record["AETERM"]
        assert ISO_DATETIME.fullmatch(record["AESTDTC"])
        assert record["AEENDTC"] == "" or ISO_DATETIME.fullmatch(record["AEENDTC"])
        assert record["AETOXGR"] in {"1", "2", "3", "4", "5"}
        assert record["AESER"] in {"Y", "N"}
        assert record["AEREL"] in AEREL_TERMS
        assert record["AEACN"] in AEACN_CT
        assert record["AEOUT"] in AEOUT_CT
        assert record["AECONTRT"] in {"Y", "N"}
        for flag in FLAGS:
            assert record[flag] in ({"Y", "N"} if record["AESER"] == "Y" else {""}), (flag, record)
        if record["AESER"] == "Y":
            assert "Y" in {record[flag] for flag in FLAGS}  # a serious event meets a criterion
        if record["AEOUT"] in {"RECOVERED/RESOLVED", "RECOVERED/RESOLVED WITH SEQUELAE", "FATAL"}:
            assert record["AEENDTC"]
        if record["AEOUT"] == "FATAL":
            assert record["AESDTH"] == "Y"
    by_term = {r["AETERM"]: r for r in records}
    first, second = by_term["Flushing"], by_term[SERIOUS["description"]]
    assert (first["USUBJID"], first["AESEQ"], second["AESEQ"]) == (second["USUBJID"], "1", "2")
    assert (first["AESER"], first["AEREL"], first["AEOUT"], first["AEACN"]) == (
        "N",
        "RELATED",
        "RECOVERED/RESOLVED",
        "DOSE RATE REDUCED",
    )
    assert (second["AESHOSP"], second["AESMIE"], second["AESDTH"], second["AEACN"], second["AECONTRT"]) == (
        "Y",
        "Y",
        "N",
        "DRUG WITHDRAWN",
        "Y",
    )
    assert (second["AEREL"], second["AEOUT"], second["AEENDTC"]) == (
        "POSSIBLY RELATED",
        "RECOVERING/RESOLVING",
        "",
    )
    fatal = by_term["Anaphylaxis"]
    assert (fatal["AETOXGR"], fatal["AESDTH"], fatal["AESLIFE"], fatal["AEOUT"]) == ("5", "Y", "Y", "FATAL")
    assert fatal["AEREL"] == "NOT RELATED"
    assert fatal["AEACN"] == "DOSE NOT CHANGED"  # the infusion was still running

    # Blinded like EX: no arm, lot or bag; the same file for every reader.
    text = response.get_data(as_text=True)
    assert not text_mentions_an_arm(text)
    for hidden in (CELL_LOT, VEHICLE_LOT, active["bag_id"], placebo["bag_id"]):
        assert hidden not in text
    statistician = login("statistician").get("/api/v1/exports/sdtm-ae.csv")
    assert _csv(statistician) == _csv(response)
    assert login("admin").get("/api/v1/exports/sdtm-ae.csv").status_code == 200
    for client in (trial.nurse, trial.investigator, trial.pharmacist):
        assert client.get("/api/v1/exports/sdtm-ae.csv").status_code == 403


def test_an_event_that_began_after_the_infusion_ended_has_no_action_with_the_treatment(trial):
    infusion = trial.infusions["active"]
    completed = trial.nurse.patch(
        f"/api/v1/infusions/{infusion['infusion_id']}", json={"completed_at": iso()}
    )
    assert completed.status_code == 200, completed.json
    _record(
        trial.nurse, infusion["infusion_id"], actions_taken=["none"], onset_at=iso(dt.timedelta(seconds=1))
    )
    (row,) = _csv(trial.qa.get("/api/v1/exports/sdtm-ae.csv"))[1:]
    assert row[AE_VARIABLES.index("AEACN")] == "NOT APPLICABLE"


# ---- pages -------------------------------------------------------------------------------------------------


def test_a_nurse_records_a_serious_event_from_the_infusion_page_and_the_investigator_completes_it(
    app, trial, browse
):
    nurse, investigator = browse("nurse"), browse("investigator")
    infusion_id = trial.infusions["active"]["infusion_id"]
    infusion_page = _text(nurse.get(f"/ward/infusions/{infusion_id}"))
    link = f"/adverse-events/new?infusion_id={infusion_id}"
    assert link in infusion_page
    form = _text(nurse.get(link))
    assert f'value="{infusion_id}"' in form
    assert "Severity grade (CTCAE)" in form

    refused = nurse.submit(link, {"infusion_id": infusion_id, "onset_at": "", "description": "Fever"})
    assert refused.status_code == 422
    assert "Record the adverse event" in _text(refused)

    data = {
        "infusion_id": infusion_id,
        "onset_at": _site_now(app),
        "description": "Fever and rigors",
        "grade": "3",
        "serious": "yes",
        "seriousness_criteria": ["hospitalisation"],
        "actions_taken": ["infusion_interrupted", "treated"],
        "treatment": "Hydrocortisone",
    }
    recorded = nurse.submit("/adverse-events/new", data, form_page=link)
    assert recorded.status_code == 302, _text(recorded)
    ae_url = recorded.headers["Location"]
    ae_id = ae_url.rsplit("/", 1)[1]
    page = _text(nurse.get(ae_url))
    assert "Fever and rigors" in page
    assert "Hospitalisation or its prolongation" in page
    assert 'data-countdown data-until="' in page
    assert re.search(r"\d+:\d\d:\d\d left", page)
    assert 'id="assessment"' not in page  # the nurse records; the investigator assesses
    assert not text_mentions_an_arm(page)
    assert len(_notifications(app)) == 3

    listing = _text(investigator.get("/adverse-events"))
    assert ae_id in listing
    assert "To assess" in listing
    assert re.search(r"\d+:\d\d:\d\d left", listing)

    reported = investigator.submit(
        f"/adverse-events/{ae_id}/sponsor-report", {"note": "Phoned"}, form_page=ae_url
    )
    assert reported.status_code == 302
    bad = investigator.submit(
        f"/adverse-events/{ae_id}/assessment",
        {"causality": "possible", "outcome": "recovered"},
        form_page=ae_url,
    )
    assert bad.status_code == 422
    assessed = investigator.submit(
        f"/adverse-events/{ae_id}/assessment",
        {"causality": "possible", "outcome": "recovered", "resolved_at": _site_now(app)},
        form_page=ae_url,
    )
    assert assessed.status_code == 302, _text(assessed)
    done = _text(investigator.get(ae_url))
    assert "Possibly related" in done
    assert "Recovered/resolved" in done
    assert "Reported to the sponsor" in done
    assert "data-countdown" not in done
    assert ["recorded", "reported to the sponsor", "assessed"] == re.findall(
        r"\): (recorded|reported to the sponsor|assessed)</li>", done
    )
    assert trial.investigator.get(f"/api/v1/adverse-events/{ae_id}").json["open"] is False


def _site_now(app) -> str:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(app.config["SITE_TIMEZONE"])).strftime("%Y-%m-%dT%H:%M")


def test_the_adverse_event_pages_are_in_chinese(trial, browse):
    from tests.integration.test_chinese_coverage import PEOPLE_TEXT, ROLES, _english_in

    ae = _record(trial.nurse, trial.infusions["active"]["infusion_id"], **SERIOUS).json
    trial.investigator.post(
        f"/api/v1/adverse-events/{ae['ae_id']}/assessment",
        json={"causality": "possible", "outcome": "recovering"},
    )
    readers = {role: browse(role) for role in ("nurse", "investigator", "qa")}
    names = {*(r.username for r in readers.values()), trial.nurse.username, trial.investigator.username}
    names |= {
        *PEOPLE_TEXT,
        *(f"{r.title()} Tester" for r in ROLES),
        SERIOUS["description"],
        SERIOUS["treatment"],
    }
    infusion_id = trial.infusions["active"]["infusion_id"]
    for role, reader_client in readers.items():
        reader_client.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
        pages = ["/adverse-events", f"/adverse-events/{ae['ae_id']}"]
        if role != "qa":
            pages.append(f"/adverse-events/new?infusion_id={infusion_id}")
        for url in pages:
            response = reader_client.get(url)
            assert response.status_code == 200, (role, url)
            assert "不良事件" in _text(response)
            assert not _english_in(response, names), (role, url, _english_in(response, names))
    refused = readers["nurse"].submit(
        "/adverse-events/new",
        {"infusion_id": infusion_id, "description": "x", "grade": "3", "serious": "yes"},
    )
    assert refused.status_code == 422
    assert not _english_in(refused, names), _english_in(refused, names)


def test_the_audit_trail_of_an_adverse_event_reads_in_chinese(trial, browse):
    from tests.integration.test_chinese_coverage import PEOPLE_TEXT, ROLES, _english_in

    ae = _record(trial.nurse, trial.infusions["active"]["infusion_id"], **SERIOUS).json
    url = f"/api/v1/adverse-events/{ae['ae_id']}"
    trial.investigator.post(f"{url}/sponsor-report", json={"reported_at": iso()})
    trial.investigator.post(f"{url}/assessment", json={"causality": "possible", "outcome": "recovering"})
    qa = browse("qa")
    qa.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    page = qa.get(f"/audit?entity_type=adverse_event&entity_id={ae['ae_id']}")
    assert page.status_code == 200
    text = _text(page)
    for words in ("记录不良事件", "报告申办方", "评估不良事件", "住院或延长住院", "可能有关"):
        assert words in text, words
    names = {qa.username, trial.nurse.username, trial.investigator.username, *PEOPLE_TEXT}
    names |= {*(f"{r.title()} Tester" for r in ROLES), SERIOUS["description"], SERIOUS["treatment"]}
    assert not _english_in(page, names), _english_in(page, names)
