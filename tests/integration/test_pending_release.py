"""Release with results pending (a study setting, on in `umsis-fresh` for sterility, off in `umsis`): QA signs
while sterility is pending and the signature says so; the lot reads "released, results pending"; a late pass
closes the follow-up; a late failure opens one deviation, lists the lot's containers, bags and participants,
notifies QA and the investigator and names exactly the affected participants to the investigator as safety
code-breaks made by the system."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select

from tests.conftest import PASSWORD
from tests.integration.randomization_support import fresh_code, import_list
from tests.lots_support import PASSING, create_lot, enter_results, issue_kits
from tests.pdf_support import pdf_text
from tests.shipments_support import received_at
from tests.sites_support import add_site
from tests.ward_support import move, start
from tracker.notifications.models import Notification
from tracker.web.context import uow

CELL, VEHICLE = "UC-0100", "VEH-0100"
ALL_BUT_STERILITY = {t: v for t, v in PASSING["ucmsc"].items() if t != "sterility"}


def _load(runner: Any, name: str) -> None:
    result = runner.invoke(args=["study", "load", name])
    assert result.exit_code == 0, result.output


def _release(qa: Any, lot_number: str) -> Any:
    return qa.post(f"/api/v1/lots/{lot_number}/release", json={"password": PASSWORD, "meaning": "QA release"})


def _sterility(gmp: Any, lot_number: str, value: str) -> Any:
    return gmp.post(f"/api/v1/lots/{lot_number}/qc-results", json={"test": "sterility", "value": value})


class Story:
    """A fresh-product trial: a cell lot released with sterility pending, a vehicle lot released whole,
    kits issued, four participants (two per arm), one bag of each arm prepared and the active one infused."""

    def __init__(self, login: Any, runner: Any, tmp_path: Any) -> None:
        _load(runner, "umsis-fresh")
        self.gmp, self.qa = login("gmp"), login("qa")
        self.pharmacist, self.nurse = login("pharmacist"), login("nurse")
        self.investigator = login("investigator")
        cells = create_lot(self.gmp, CELL, "ucmsc", container_count=4, volume_ml_per_container=20)
        enter_results(self.gmp, CELL, ALL_BUT_STERILITY)
        vehicle = create_lot(self.gmp, VEHICLE, "placebo", container_count=4, volume_ml_per_container=100)
        enter_results(self.gmp, VEHICLE, PASSING["placebo"])
        self.cell_ids = [c["container_id"] for c in cells["containers"]]
        self.vehicle_ids = [c["container_id"] for c in vehicle["containers"]]
        self.release = _release(self.qa, CELL)
        assert _release(self.qa, VEHICLE).status_code == 200
        issue_kits(self.gmp, self.cell_ids[:3], self.vehicle_ids[:3])
        rows = [(fresh_code(), "A", arm) for arm in ("active", "placebo", "active", "placebo")]
        import_list(runner, tmp_path, rows)
        self.arms: dict[str, str] = {}
        for i, (_, _, arm) in enumerate(rows):
            pid = f"P-{i + 1:03d}"
            body = {"participant_id": pid, "stratum": "A"}
            answer = self.investigator.post("/api/v1/participants", json=body)
            assert answer.status_code == 201, answer.json
            self.arms[pid] = arm
        self.codes = {f"P-{i + 1:03d}": code for i, (code, _, _) in enumerate(rows)}

    def prepare_active(self, pid: str) -> dict:
        thaw = self.pharmacist.post(
            "/api/v1/thaws",
            json={"container_id": self.cell_ids.pop(0), "viable_cells_per_ml": 5e6, "viability_percent": 85,
                  "volume_ml": 20},
        )  # fmt: skip
        assert thaw.status_code == 201, thaw.json
        bag = self.pharmacist.post(
            "/api/v1/doses",
            json={"randomization_code": self.codes[pid], "thaw_id": thaw.json["thaw_id"],
                  "drawn_volume_ml": 20, "final_volume_ml": 100},
        )  # fmt: skip
        assert bag.status_code == 201, bag.json
        return bag.json

    def prepare_placebo(self, pid: str) -> dict:
        bag = self.pharmacist.post(
            "/api/v1/doses",
            json={"randomization_code": self.codes[pid], "placebo_lot": VEHICLE, "final_volume_ml": 100},
        )
        assert bag.status_code == 201, bag.json
        return bag.json

    def infuse(self, bag_id: str, pid: str) -> None:
        trial = type("T", (), {"pharmacist": self.pharmacist, "nurse": self.nurse})()
        move(trial, bag_id, "dispatch", "receive")
        answer = start(trial, bag_id, pid, started_at=_now())
        assert answer.status_code == 201, answer.json


def _now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat()


def _notifications(app: Any) -> list[tuple[str, str, str, str]]:
    with app.app_context(), uow() as work:
        rows = work.session.execute(select(Notification).order_by(Notification.id)).scalars()
        return [(n.kind, n.audience, n.subject, n.body) for n in rows]


def test_qa_releases_with_sterility_pending_and_the_signature_and_status_say_so(login, runner, tmp_path):
    story = Story(login, runner, tmp_path)
    assert story.release.status_code == 200, story.release.json
    signed = story.release.json
    assert signed["status"] == "released"
    assert signed["results_pending"] == ["sterility"]
    assert "released with results pending: sterility" in signed["meaning"]
    assert signed["disposition"] == "released_results_pending"
    for reader in (story.gmp, story.qa, story.pharmacist):
        lot = reader.get(f"/api/v1/lots/{CELL}").json
        assert lot["disposition"] == "released_results_pending"
        assert lot["results_pending"] == ["sterility"]
        assert [f["state"] for f in lot["follow_ups"]] == ["pending"]
        listed = {item["lot_number"]: item for item in reader.get("/api/v1/lots").json["items"]}
        assert listed[CELL]["disposition"] == "released_results_pending"
        assert listed[VEHICLE]["disposition"] == "released"
    stock = {line["lot_number"]: line for line in story.pharmacist.get("/api/v1/stock").json["lots"]}
    assert stock[CELL]["disposition"] == "released_results_pending"
    assert stock[VEHICLE]["disposition"] == "released"
    events = story.qa.get(f"/api/v1/audit?entity_type=lot&entity_id={CELL}").json["events"]
    release = next(e for e in events if e["action"] == "release")
    assert release["after"]["results_pending"] == ["sterility"]


def test_a_missing_test_that_may_not_be_pending_still_blocks_release(login, runner):
    _load(runner, "umsis-fresh")
    gmp, qa = login("gmp"), login("qa")
    create_lot(gmp, "UC-0200", "ucmsc")
    enter_results(gmp, "UC-0200", {t: v for t, v in ALL_BUT_STERILITY.items() if t != "mycoplasma"})
    refused = _release(qa, "UC-0200")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "release_blocked"
    assert refused.json["error"]["details"]["missing"] == ["mycoplasma"]


def test_a_failed_test_blocks_release_even_when_it_may_be_pending(login, runner):
    _load(runner, "umsis-fresh")
    gmp, qa = login("gmp"), login("qa")
    create_lot(gmp, "UC-0201", "ucmsc")
    enter_results(gmp, "UC-0201", {**ALL_BUT_STERILITY, "sterility": "positive"})
    refused = _release(qa, "UC-0201")
    assert refused.status_code == 409
    assert refused.json["error"]["details"]["failed"] == ["sterility"]


def test_with_umsis_a_pending_test_blocks_release_as_before(login):
    gmp, qa = login("gmp"), login("qa")  # the tests' app loads umsis
    create_lot(gmp, "UC-0300", "ucmsc")
    enter_results(gmp, "UC-0300", ALL_BUT_STERILITY)
    refused = _release(qa, "UC-0300")
    assert refused.status_code == 409
    assert refused.json["error"]["details"]["missing"] == ["sterility"]
    lot = gmp.get("/api/v1/lots/UC-0300").json
    assert lot["status"] == "quarantine"
    assert lot["results_pending"] == []


def test_a_late_result_of_a_test_not_pending_is_refused_after_release(login, runner, tmp_path):
    story = Story(login, runner, tmp_path)
    late = story.gmp.post(f"/api/v1/lots/{CELL}/qc-results", json={"test": "endotoxin", "value": 0.1})
    assert late.status_code == 409
    assert late.json["error"]["code"] == "lot_not_in_quarantine"


def test_a_passing_late_result_closes_the_follow_up(app, login, runner, tmp_path):
    story = Story(login, runner, tmp_path)
    passed = _sterility(story.gmp, CELL, "negative")
    assert passed.status_code == 201, passed.json
    lot = story.qa.get(f"/api/v1/lots/{CELL}").json
    assert lot["disposition"] == "released"
    assert lot["results_pending"] == []
    assert [f["state"] for f in lot["follow_ups"]] == ["passed"]
    events = story.qa.get(f"/api/v1/audit?entity_type=lot&entity_id={CELL}").json["events"]
    assert [e["after"]["follow_up"] for e in events if e["action"] == "close_follow_up"] == ["passed"]
    assert story.qa.get("/api/v1/deviations?category=late_result").json["items"] == []
    assert story.investigator.get("/api/v1/code-breaks/safety").json["items"] == []
    # The follow-up is closed: a second result is refused as for any released lot.
    assert _sterility(story.gmp, CELL, "negative").status_code == 409
    assert not [n for n in _notifications(app) if n[0] in ("late_result_failed", "safety_code_break")]


def test_a_failing_late_result_after_an_infusion_raises_the_deviation_the_list_and_the_safety_code_breaks(
    app, login, runner, tmp_path
):
    story = Story(login, runner, tmp_path)
    active = [pid for pid, arm in story.arms.items() if arm == "active"]
    placebo = [pid for pid, arm in story.arms.items() if arm == "placebo"]
    infused = story.prepare_active(active[0])
    story.infuse(infused["bag_id"], active[0])
    allocated = story.prepare_active(active[1])  # prepared, not given: its participant was allocated it
    other = story.prepare_placebo(placebo[0])  # another lot's bag
    story.infuse(other["bag_id"], placebo[0])

    failed = _sterility(story.gmp, CELL, "positive")
    assert failed.status_code == 201, failed.json
    assert failed.json["pass"] is False

    deviations = story.qa.get("/api/v1/deviations?category=late_result").json["items"]
    assert len(deviations) == 1
    assert deviations[0]["lot_number"] == CELL
    assert deviations[0]["source"] == "automatic"

    lot = story.qa.get(f"/api/v1/lots/{CELL}").json
    assert lot["disposition"] == "released_result_failed"
    assert lot["follow_ups"][0]["state"] == "failed"
    assert lot["follow_ups"][0]["deviation_id"] == deviations[0]["deviation_id"]

    # The pharmacist (unblinded) gets all of it: exactly this lot's containers, bags and participants.
    full = story.pharmacist.get(f"/api/v1/lots/{CELL}/affected")
    assert full.status_code == 200, full.json
    assert sorted(c["container_id"] for c in full.json["containers"]) == sorted(
        c["container_id"] for c in lot["containers"]
    )
    assert sorted(b["bag_id"] for b in full.json["bags"]) == sorted([infused["bag_id"], allocated["bag_id"]])
    assert sorted(full.json["participants"]) == sorted(active)

    # QA (blinded) gets the containers, never a bag or participant linked to the lot.
    blinded = story.qa.get(f"/api/v1/lots/{CELL}/affected").json
    assert len(blinded["containers"]) == 4
    assert blinded["bags"] is None
    assert blinded["participants"] is None
    assert {c["status"] for c in blinded["containers"]} <= {"in_store", "in_pharmacy", "discarded_in_lab"}

    # The investigator: the affected participants, each as a safety code-break made by the system.
    named = story.investigator.get(f"/api/v1/lots/{CELL}/affected").json
    assert sorted(named["participants"]) == sorted(active)
    assert named["containers"] is None
    assert named["bags"] is None
    breaks = story.investigator.get("/api/v1/code-breaks/safety")
    assert breaks.status_code == 200
    items = breaks.json["items"]
    assert sorted(i["participant_id"] for i in items) == sorted(active)
    assert all(i["kind"] == "safety" and i["triggered_by"] == "system" for i in items)
    assert all("sterility" in i["reason"] and CELL not in i["reason"] for i in items)
    assert not set(placebo) & {i["participant_id"] for i in items}
    assert "arm" not in str(breaks.json)

    for pid in active:
        events = story.qa.get(f"/api/v1/audit?entity_type=participant&entity_id={pid}").json["events"]
        safety = [e for e in events if e["action"] == "unblind"]
        assert len(safety) == 1
        assert safety[0]["user"] == "system"
        assert safety[0]["after"]["kind"] == "safety"
        assert safety[0]["after"]["triggered_by"] == "system"
    for pid in placebo:
        events = story.qa.get(f"/api/v1/audit?entity_type=participant&entity_id={pid}").json["events"]
        assert not [e for e in events if e["action"] == "unblind"]

    report = story.qa.get("/api/v1/reports/code-breaks").json["items"]
    assert sorted(r["participant_id"] for r in report if r["kind"] == "safety") == sorted(active)
    as_csv = csv.DictReader(
        io.StringIO(story.qa.get("/api/v1/reports/code-breaks.csv").get_data(as_text=True))
    )
    assert sorted(r["participant_id"] for r in as_csv if r["kind"] == "safety") == sorted(active)

    notes = [n for n in _notifications(app) if n[0] in ("late_result_failed", "safety_code_break")]
    assert sorted(n[1] for n in notes) == ["investigator", "qa"]
    for _, _, subject, body in notes:
        for pid in story.arms:
            assert pid not in subject + body
        for word in ("active", "placebo", "ucmsc"):
            assert word not in (subject + body).lower()

    # The failed lot may not be used any more: another of its containers in the pharmacy cannot be thawed.
    refused = story.pharmacist.post(
        "/api/v1/thaws",
        json={"container_id": story.cell_ids[0], "viable_cells_per_ml": 5e6, "viability_percent": 85,
              "volume_ml": 20},
    )  # fmt: skip
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "lot_late_result_failed"
    assert lot["usable"] is False

    # The same failure twice opens nothing more.
    assert _sterility(story.gmp, CELL, "positive").status_code == 409
    assert len(story.qa.get("/api/v1/deviations?category=late_result").json["items"]) == 1


def test_the_affected_list_is_refused_to_roles_outside_the_matrix(login, runner, tmp_path):
    _load(runner, "umsis-fresh")
    create_lot(login("gmp"), "UC-0400", "ucmsc")
    for role in ("nurse", "statistician"):
        assert login(role).get("/api/v1/lots/UC-0400/affected").status_code == 403
    assert login("qa").get("/api/v1/lots/NOPE/affected").status_code == 404
    assert login("qa").get("/api/v1/code-breaks/safety").status_code == 403


def test_the_pages_and_certificate_say_released_results_pending_and_then_show_the_affected_list_by_role(
    login, runner, tmp_path, browse
):
    story = Story(login, runner, tmp_path)
    qa_page, gmp_page, pharmacy_page = browse("qa"), browse("gmp"), browse("pharmacist")
    for page in (qa_page, gmp_page, pharmacy_page):
        listed = page.get("/lots").data.decode()
        assert "Released, results pending" in listed
        shown = page.get(f"/lots/{CELL}").data.decode()
        assert "Released, results pending" in shown
        assert "released with results pending: sterility" in shown.lower()
    assert "Released, results pending" in pharmacy_page.get("/pharmacy/stock").data.decode()
    certificate = story.qa.get(f"/api/v1/lots/{CELL}/certificate.pdf")
    text = pdf_text(certificate.data, sep=" ")
    assert "RELEASED, RESULTS PENDING" in text
    assert "Results pending" in text
    # GMP enters the late result from the lot's QC page, which offers the pending test only.
    form = gmp_page.get(f"/lots/{CELL}/qc").data.decode()
    assert 'name="result-sterility"' in form
    assert 'name="result-endotoxin"' not in form
    active = [pid for pid, arm in story.arms.items() if arm == "active"]
    bag = story.prepare_active(active[0])
    story.infuse(bag["bag_id"], active[0])
    sent = gmp_page.submit(f"/lots/{CELL}/qc", {"result-sterility": "positive"})
    assert sent.status_code == 302
    qa_shown = qa_page.get(f"/lots/{CELL}").data.decode()
    assert "Released, late result failed" in qa_shown
    assert 'id="affected"' in qa_shown
    assert story.cell_ids[-1] in qa_shown  # a container still in store
    assert bag["bag_id"] not in qa_shown
    assert active[0] not in qa_shown
    pharmacy_shown = pharmacy_page.get(f"/lots/{CELL}").data.decode()
    assert bag["bag_id"] in pharmacy_shown
    assert active[0] in pharmacy_shown
    code_breaks = browse("investigator").get("/participants/code-break").data.decode()
    assert 'id="safety-code-breaks"' in code_breaks
    assert active[0] in code_breaks
    for pid, arm in story.arms.items():
        if pid != active[0]:
            assert f">{pid}<" not in code_breaks, (pid, arm)


def test_the_lot_page_says_released_results_pending_in_chinese(login, runner, tmp_path, browse):
    Story(login, runner, tmp_path)
    page = browse("qa")
    page.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    shown = page.get(f"/lots/{CELL}").data.decode()
    assert "已放行，结果待出" in shown
    assert "待结果放行：" in shown
    assert "Released, results pending" not in shown


def test_two_pending_tests_that_both_fail_share_one_deviation(login, runner, tmp_path):
    import json

    from tracker.studies.services import SHIPPED

    raw = json.loads((SHIPPED / "umsis-fresh.json").read_text(encoding="utf-8"))
    raw["release_with_pending_results"] = ["sterility", "mycoplasma"]
    path = tmp_path / "two-pending.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    _load(runner, str(path))
    gmp, qa = login("gmp"), login("qa")
    create_lot(gmp, "UC-0600", "ucmsc")
    enter_results(gmp, "UC-0600", {t: v for t, v in ALL_BUT_STERILITY.items() if t != "mycoplasma"})
    released = _release(qa, "UC-0600")
    assert released.status_code == 200, released.json
    assert released.json["results_pending"] == ["sterility", "mycoplasma"]
    assert _sterility(gmp, "UC-0600", "positive").status_code == 201
    late = gmp.post("/api/v1/lots/UC-0600/qc-results", json={"test": "mycoplasma", "value": "positive"})
    assert late.status_code == 201
    deviations = qa.get("/api/v1/deviations?category=late_result").json["items"]
    assert len(deviations) == 1
    follow_ups = qa.get("/api/v1/lots/UC-0600").json["follow_ups"]
    assert [(f["test"], f["state"]) for f in follow_ups] == [
        ("sterility", "failed"),
        ("mycoplasma", "failed"),
    ]
    assert {f["deviation_id"] for f in follow_ups} == {deviations[0]["deviation_id"]}


def test_a_late_failure_recorded_at_the_lab_names_the_participants_of_the_hospital_that_used_the_lot(
    app, login, runner, tmp_path
):
    """Sites: the GMP lab's people see their own site only, yet a failing late result they record reaches
    every participant who was given or allocated the lot, wherever they were treated (patient safety is the
    trial's, not a site's); the investigators told are those of the sites with such participants."""
    _load(runner, "umsis-fresh")
    add_site(login, "BJ-01", name="Beijing hospital")
    add_site(login, "SH-02", name="Shanghai hospital")
    lab_gmp, qa = login("gmp", sites=("SITE-01",)), login("qa")
    cells = create_lot(lab_gmp, CELL, "ucmsc", container_count=2, volume_ml_per_container=20)
    enter_results(lab_gmp, CELL, ALL_BUT_STERILITY)
    vehicle = create_lot(lab_gmp, VEHICLE, "placebo", container_count=2, volume_ml_per_container=100)
    enter_results(lab_gmp, VEHICLE, PASSING["placebo"])
    assert _release(qa, CELL).status_code == 200
    assert _release(qa, VEHICLE).status_code == 200
    shipped = [cells["containers"][0]["container_id"], vehicle["containers"][0]["container_id"]]
    bj_pharmacist = login("pharmacist", sites=("BJ-01",))
    received_at(lab_gmp, bj_pharmacist, "BJ-01", shipped)

    code = fresh_code()
    import_list(runner, tmp_path, [(code, "A", "active"), (fresh_code(), "A", "placebo")])
    bj_investigator = login("investigator", sites=("BJ-01",))
    sh_investigator = login("investigator", sites=("SH-02",))
    enrolled = bj_investigator.post("/api/v1/participants", json={"participant_id": "P-B01", "stratum": "A"})
    assert enrolled.status_code == 201, enrolled.json
    thaw = bj_pharmacist.post(
        "/api/v1/thaws",
        json={
            "container_id": shipped[0],
            "viable_cells_per_ml": 5e6,
            "viability_percent": 85,
            "volume_ml": 20,
        },
    )
    assert thaw.status_code == 201, thaw.json
    bag = bj_pharmacist.post(
        "/api/v1/doses",
        json={"randomization_code": code, "thaw_id": thaw.json["thaw_id"], "drawn_volume_ml": 20,
              "final_volume_ml": 100},
    )  # fmt: skip
    assert bag.status_code == 201, bag.json

    assert _sterility(lab_gmp, CELL, "positive").status_code == 201
    breaks = bj_investigator.get("/api/v1/code-breaks/safety").json["items"]
    assert [b["participant_id"] for b in breaks] == ["P-B01"]
    assert sh_investigator.get("/api/v1/code-breaks/safety").json["items"] == []
    with app.app_context(), uow() as work:
        told = work.session.execute(
            select(Notification.site_code, Notification.subject, Notification.body).where(
                Notification.kind == "safety_code_break"
            )
        ).all()
    # The investigators of the one site with such a participant are told, and only they; no ID in it.
    assert [site for site, _, _ in told] == ["BJ-01"]
    assert "P-B01" not in told[0][1] + told[0][2]
    # The lot's affected list: the hospital's investigator finds the participant, the other hospital's none.
    assert bj_investigator.get(f"/api/v1/lots/{CELL}/affected").json["participants"] == ["P-B01"]
    assert sh_investigator.get(f"/api/v1/lots/{CELL}/affected").status_code == 404  # not a lot of theirs
    affected = login("pharmacist").get(f"/api/v1/lots/{CELL}/affected").json  # the whole trial's pharmacist
    assert [(b["participant_id"], b["site"]) for b in affected["bags"]] == [("P-B01", "BJ-01")]
    sh_pharmacist = login("pharmacist", sites=("SH-02",))
    assert sh_pharmacist.get(f"/api/v1/lots/{CELL}/affected").status_code == 404
