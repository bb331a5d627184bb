"""Deviations and CAPA through the API and the pages: raise, investigate, define CAPA, close signed; roles;
blinding of a bag's source lot; automatic raising once per trigger, inside the caller's transaction."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.pharmacy_support import CELL_LOT, build_trial
from tracker.deviations import services
from tracker.deviations.models import Deviation
from tracker.roles import SYSTEM
from tracker.web.context import reader, uow

CAPA = {
    "investigation": "The courier box was left open for 20 minutes.",
    "root_cause": "No checklist at hand-over.",
    "corrective_action": "Retrained the courier team.",
    "preventive_action": "A hand-over checklist in the SOP.",
    "capa_owner": "Head of pharmacy",
    "capa_due_at": "2030-01-31T12:00:00+00:00",
}


def _raise(client, **extra):
    body = {"title": "Box left open", "description": "Found open at receipt", "category": "other", **extra}
    return client.post("/api/v1/deviations", json=body)


def _audit(qa, deviation_id):
    return qa.get(f"/api/v1/audit?entity_type=deviation&entity_id={deviation_id}").json["events"]


def test_a_deviation_moves_from_open_to_closed_with_a_signed_closure_and_an_event_per_change(login):
    nurse, qa = login("nurse"), login("qa")
    raised = _raise(nurse)
    assert raised.status_code == 201, raised.json
    deviation_id = raised.json["deviation_id"]
    assert raised.json["state"] == "open"
    assert raised.json["source"] == "manual"
    assert raised.json["raised_by"] == nurse.username
    assert not raised.json["overdue"]

    url = f"/api/v1/deviations/{deviation_id}"
    moved = qa.post(f"{url}/transition", json={"to": "under_investigation", "investigation": "Started"})
    assert moved.status_code == 200, moved.json
    assert moved.json["state"] == "under_investigation"
    defined = qa.post(f"{url}/transition", json={"to": "capa_defined", **CAPA})
    assert defined.status_code == 200, defined.json
    assert defined.json["corrective_action"] == CAPA["corrective_action"]

    wrong = qa.post(f"{url}/close", json={"password": "not-my-password", "meaning": "Reviewed"})
    assert wrong.status_code == 401
    assert qa.get(url).json["state"] == "capa_defined"
    closed = qa.post(f"{url}/close", json={"password": PASSWORD, "meaning": "CAPA effective, closed"})
    assert closed.status_code == 200, closed.json
    assert closed.json["state"] == "closed"
    assert closed.json["closure"]["signed_by"] == qa.username
    assert closed.json["closure"]["meaning"] == "CAPA effective, closed"
    assert [e["action"] for e in _audit(qa, deviation_id)] == ["raise", "transition", "transition", "close"]

    again = qa.post(f"{url}/transition", json={"to": "under_investigation"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "deviation_closed"


def test_a_step_out_of_order_is_409_and_a_capa_without_its_fields_is_422(login):
    qa = login("qa")
    deviation_id = _raise(qa).json["deviation_id"]
    url = f"/api/v1/deviations/{deviation_id}"
    skipped = qa.post(f"{url}/transition", json={"to": "capa_defined", **CAPA})
    assert skipped.status_code == 409
    assert skipped.json["error"]["code"] == "transition_not_allowed"
    early = qa.post(f"{url}/close", json={"password": PASSWORD, "meaning": "Closed"})
    assert early.status_code == 409
    qa.post(f"{url}/transition", json={"to": "under_investigation"})
    incomplete = qa.post(f"{url}/transition", json={"to": "capa_defined", "investigation": "Done"})
    assert incomplete.status_code == 422
    assert incomplete.json["error"]["code"] == "capa_incomplete"
    assert {"root_cause", "corrective_action", "capa_owner"} <= set(incomplete.json["error"]["details"])
    unknown = qa.post(f"{url}/transition", json={"to": "finished"})
    assert unknown.status_code == 422
    assert qa.get("/api/v1/deviations/D00000000").status_code == 404
    assert _raise(qa, category="weather").status_code == 422
    assert _raise(qa, lot_number="NO-SUCH-LOT").status_code == 404


def test_who_may_raise_read_and_manage(login, client):
    assert client.post("/api/v1/deviations", json={}).status_code == 401
    for role in ("admin", "statistician"):
        user = login(role)
        assert _raise(user).status_code == 403
        assert user.get("/api/v1/deviations").status_code == 403
    pharmacist = login("pharmacist")
    deviation_id = _raise(pharmacist).json["deviation_id"]
    url = f"/api/v1/deviations/{deviation_id}"
    moved = pharmacist.post(f"{url}/transition", json={"to": "under_investigation"})
    assert moved.status_code == 403
    closing = pharmacist.post(f"{url}/close", json={"password": PASSWORD, "meaning": "x"})
    assert closing.status_code == 403


def test_overdue_deviations_are_listed_and_filtered(login, clock):
    qa = login("qa")
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)).isoformat()
    late = _raise(qa, due_at=soon).json["deviation_id"]
    later = _raise(qa, title="Later", category="recall").json["deviation_id"]  # due in 30 days
    assert qa.get("/api/v1/deviations?overdue=true").json["items"] == []
    clock.advance(dt.timedelta(minutes=20))  # (a sign-in lasts hours, not days)
    overdue = qa.get("/api/v1/deviations?overdue=true").json["items"]
    assert [d["deviation_id"] for d in overdue] == [late]
    assert overdue[0]["overdue"] is True
    recalls = qa.get("/api/v1/deviations?category=recall").json["items"]
    assert [d["deviation_id"] for d in recalls] == [later]
    assert qa.get("/api/v1/deviations?state=closed").json["items"] == []


def test_a_bag_deviation_shows_its_source_lot_to_the_pharmacist_only(login, browse, runner, tmp_path):
    trial = build_trial(login, runner, tmp_path, per_arm=1, kits=2)
    ((participant_id, code),) = trial.of_arm("active")
    bag = trial.prepare(code, "active")
    raised = _raise(
        trial.pharmacist, bag_id=bag["bag_id"], lot_number=CELL_LOT, participant_id=participant_id
    )
    assert raised.status_code == 201, raised.json
    deviation_id = raised.json["deviation_id"]
    assert raised.json["source_lot_number"] == CELL_LOT
    assert raised.json["lot_number"] is None
    seen = trial.pharmacist.get(f"/api/v1/deviations/{deviation_id}").json
    assert seen["source_lot_number"] == CELL_LOT
    assert seen["bag_id"] == bag["bag_id"]
    for blinded in (trial.qa, trial.nurse, trial.investigator):
        view = blinded.get(f"/api/v1/deviations/{deviation_id}").json
        assert view["bag_id"] == bag["bag_id"]
        assert "source_lot_number" not in view
        assert "source_container_id" not in view
        assert CELL_LOT not in str(view)
        listed = blinded.get("/api/v1/deviations").json["items"]
        assert CELL_LOT not in str(listed)
    assert CELL_LOT not in str(_audit(trial.qa, deviation_id))
    for role in ("qa", "nurse", "investigator"):
        assert CELL_LOT not in browse(role).get(f"/deviations/{deviation_id}").get_data(as_text=True)
    assert CELL_LOT in browse("pharmacist").get(f"/deviations/{deviation_id}").get_data(as_text=True)


def test_a_bag_deviation_whose_text_names_the_arm_or_the_source_lot_is_refused(login, runner, tmp_path):
    trial = build_trial(login, runner, tmp_path, per_arm=1, kits=2)
    ((_, code),) = trial.of_arm("placebo")
    bag_id = trial.prepare(code, "placebo")["bag_id"]
    worded = _raise(trial.pharmacist, bag_id=bag_id, title="Placebo bag leaking")
    assert worded.status_code == 422
    assert worded.json["error"]["code"] == "unblinding_text"
    assert "title" in worded.json["error"]["details"]
    named = _raise(trial.pharmacist, bag_id=bag_id, lot_number="VEH-0001", description="Bag of lot VEH-0001")
    assert named.status_code == 422
    assert "description" in named.json["error"]["details"]
    assert trial.qa.get("/api/v1/deviations").json["items"] == []


def test_a_lot_deviation_without_a_bag_shows_its_lot_to_qa(login):
    from tests.lots_support import create_lot

    gmp, qa = login("gmp"), login("qa")
    create_lot(gmp, "UC-0100", "ucmsc")
    raised = _raise(qa, lot_number="uc-0100", category="temperature_excursion")
    assert raised.status_code == 201, raised.json
    assert raised.json["lot_number"] == "UC-0100"


def _count(app):
    with app.app_context(), reader() as work:
        return work.session.execute(select(func.count()).select_from(Deviation)).scalar_one()


def test_raise_automatic_opens_once_per_trigger_and_record(app, login):
    qa = login("qa")
    from tests.lots_support import create_lot

    create_lot(login("gmp"), "UC-0200", "ucmsc")
    with app.app_context():
        for _ in range(2):
            work = uow()
            with work:
                services.raise_automatic(
                    work.session, SYSTEM, "recall", {"lot_number": "UC-0200"}, "Lot recalled", "recall"
                )
                work.commit()
        with uow() as work:  # another category of the same record is another deviation
            made = services.raise_automatic(
                work.session, SYSTEM, "late_result", {"lot_number": "UC-0200"}, "Late result", "qc_result"
            )
            assert made is not None
            work.commit()
    assert _count(app) == 2
    items = qa.get("/api/v1/deviations?category=recall").json["items"]
    assert len(items) == 1
    assert items[0]["source"] == "automatic"
    assert items[0]["source_action"] == "recall"
    assert [e["action"] for e in _audit(qa, items[0]["deviation_id"])] == ["raise"]


def test_an_automatic_bag_deviation_keeps_its_lot_from_blinded_readers(app, login, runner, tmp_path):
    trial = build_trial(login, runner, tmp_path, per_arm=1, kits=2)
    ((_, code),) = trial.of_arm("active")
    bag_id = trial.prepare(code, "active")["bag_id"]
    links = {"bag_id": bag_id, "lot_number": CELL_LOT}
    with app.app_context(), uow() as work:
        services.raise_automatic(work.session, SYSTEM, "voided_bag", links, "Bag voided", "void")
        work.commit()
    (seen,) = trial.qa.get("/api/v1/deviations").json["items"]
    assert seen["bag_id"] == bag_id
    assert CELL_LOT not in str(seen)
    assert bag_id in seen["description"]
    (unblinded,) = trial.pharmacist.get("/api/v1/deviations").json["items"]
    assert unblinded["source_lot_number"] == CELL_LOT


def test_raise_automatic_is_rolled_back_with_its_caller(app):
    with app.app_context():
        with uow() as work:
            made = services.raise_automatic(
                work.session, SYSTEM, "other", {"participant_id": None, "lot_number": "X-1"}, "Test", "test"
            )
            assert made is not None
            # no commit: the caller failed
    assert _count(app) == 0


def test_raise_automatic_refuses_an_arm_word_in_a_bag_title(app):
    with app.app_context(), uow() as work, pytest.raises(ValueError, match="names no arm"):
        services.raise_automatic(
            work.session, SYSTEM, "voided_bag", {"bag_id": "B123"}, "Placebo bag voided", "void"
        )


# ---- pages ---------------------------------------------------------------------------------------------


def test_the_board_counts_by_state_and_age_and_lists_the_overdue(login, browse, clock):
    qa_api = login("qa")
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)).isoformat()
    first = _raise(qa_api, due_at=soon).json["deviation_id"]
    _raise(qa_api, title="Second")
    qa_api.post(f"/api/v1/deviations/{first}/transition", json={"to": "under_investigation"})
    clock.advance(dt.timedelta(minutes=20))
    qa = browse("qa")
    page = qa.get("/deviations")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-state="open">1<' in html
    assert 'data-state="under_investigation">1<' in html
    assert 'data-age="lt_7">2<' in html
    assert 'data-age="7_to_30">0<' in html
    overdue_section = html.split('id="overdue"')[1].split("</section>")[0]
    assert first in overdue_section


def test_the_pages_raise_investigate_define_capa_and_close(browse):
    nurse = browse("nurse")
    answer = nurse.submit(
        "/deviations/new",
        {"title": "Bag warm", "description": "Bag felt warm", "category": "temperature_excursion"},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    url = answer.headers["Location"]
    assert "Bag warm" in nurse.get(url).get_data(as_text=True)
    deviation_id = url.rstrip("/").rsplit("/", 1)[1]

    qa = browse("qa")
    act = f"/deviations/{deviation_id}/transition"
    assert qa.submit(act, {"to": "under_investigation"}, form_page=url).status_code == 302
    refused = qa.submit(act, {"to": "capa_defined", "investigation": "x"}, form_page=url)
    assert refused.status_code == 422
    form = {**CAPA, "capa_due_at": "2030-01-31T12:00"}
    assert qa.submit(act, {"to": "capa_defined", **form}, form_page=url).status_code == 302
    close = f"/deviations/{deviation_id}/close"
    assert qa.submit(close, {"password": "wrong", "meaning": "Closed"}, form_page=url).status_code == 401
    assert qa.submit(close, {"password": PASSWORD, "meaning": "Closed"}, form_page=url).status_code == 302
    html = qa.get(url).get_data(as_text=True)
    assert 'id="closure"' in html
    assert "Closed" in html
    assert html.count("<li>") >= 4  # raise, two transitions, close


def test_the_board_and_a_deviation_speak_chinese(browse, login):
    deviation_id = _raise(login("qa"), category="expired_bag").json["deviation_id"]
    qa = browse("qa")
    qa.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    board = qa.get("/deviations").get_data(as_text=True)
    assert "偏差与纠正预防措施" in board
    assert "Overdue" not in board
    page = qa.get(f"/deviations/{deviation_id}").get_data(as_text=True)
    assert "过期" in page
    assert "已报告" in page  # the history's action
    assert "Investigation" not in page
