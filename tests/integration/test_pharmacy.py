"""The pharmacy through the API: thaw, worksheet, preparation of either bag, void, labels, and blinding."""

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.integration.randomization_support import mentions_an_arm
from tests.pharmacy_support import CELL_LOT, VEHICLE_LOT, build_trial, iso
from tracker.audit.models import AuditEvent
from tracker.pharmacy.models import Bag
from tracker.web.context import reader


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path)


def _count(app, model):
    with app.app_context(), reader() as work:
        return work.session.execute(select(func.count()).select_from(model)).scalar_one()


def _let_time_pass(app, thaw_id, delta):
    """Move a thaw back in time, as if `delta` had passed since it was recorded."""
    from tracker.thaws.models import Thaw
    from tracker.web.context import uow

    with app.app_context(), uow() as work:
        thaw = work.session.execute(select(Thaw).where(Thaw.thaw_id == thaw_id)).scalar_one()
        thaw.thawed_at -= delta
        work.commit()


# ---- thaw ----------------------------------------------------------------------------------------------


def test_a_thaw_of_a_container_in_the_pharmacys_stock_is_judged_usable(trial):
    container = trial.cell_containers[0]
    thaw = trial.thaw()
    assert thaw["container_id"] == container
    assert thaw["lot_number"] == CELL_LOT
    assert thaw["usable"] is True
    assert thaw["reasons"] == []
    thawed = dt.datetime.fromisoformat(thaw["thawed_at"])
    assert dt.datetime.fromisoformat(thaw["expires_at"]) == thawed + dt.timedelta(hours=1)
    custody = trial.pharmacist.get(f"/api/v1/containers/{container}/custody").json["events"]
    assert [e["action"] for e in custody] == ["issue", "thaw"]


def test_a_thaw_below_seventy_percent_viability_is_recorded_but_unusable(trial):
    thaw = trial.thaw(viability=69.9)
    assert thaw["usable"] is False
    assert thaw["reasons"] == ["viability 69.9 % is below 70 %"]


def test_a_container_is_never_thawed_twice(trial):
    container = trial.cell_containers[0]
    trial.thaw()
    again = trial.pharmacist.post(
        "/api/v1/thaws",
        json={
            "container_id": container,
            "viable_cells_per_ml": 5e6,
            "viability_percent": 90,
            "volume_ml": 10,
        },
    )
    assert again.status_code == 409
    assert again.json["error"]["code"] == "container_thawed"


def test_a_container_of_a_quarantined_lot_cannot_be_thawed(trial):
    from tests.lots_support import create_lot

    container = create_lot(trial.gmp, "UC-0002")["containers"][0]["container_id"]
    response = trial.pharmacist.post(
        "/api/v1/thaws",
        json={
            "container_id": container,
            "viable_cells_per_ml": 5e6,
            "viability_percent": 90,
            "volume_ml": 10,
        },
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "lot_not_released"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"volume_ml": 21}, "volume_ml"),
        ({"viability_percent": 101}, "viability_percent"),
        ({"viable_cells_per_ml": 0}, "viable_cells_per_ml"),
        ({"viable_cells_per_ml": "many"}, "viable_cells_per_ml"),
        ({"thawed_at": "IN_FIVE_MINUTES"}, "thawed_at"),
    ],
)
def test_a_bad_thaw_is_refused_and_changes_nothing(app, trial, change, field):
    if change.get("thawed_at") == "IN_FIVE_MINUTES":
        change = {
            "thawed_at": iso(dt.timedelta(minutes=5))
        }  # computed now, not when the tests were collected
    container = trial.cell_containers[0]
    before = _count(app, AuditEvent)
    body = {"container_id": container, "viable_cells_per_ml": 5e6, "viability_percent": 90, "volume_ml": 10}
    response = trial.pharmacist.post("/api/v1/thaws", json={**body, **change})
    assert response.status_code == 422
    assert field in response.json["error"]["details"]
    assert _count(app, AuditEvent) == before
    status = trial.pharmacist.get(f"/api/v1/lots/{CELL_LOT}").json["containers"][0]["status"]
    assert status == "issued"


def test_vehicle_is_not_thawed(trial):
    vehicle = trial.gmp.get(f"/api/v1/lots/{VEHICLE_LOT}").json["containers"][0]["container_id"]
    response = trial.pharmacist.post(
        "/api/v1/thaws",
        json={"container_id": vehicle, "viable_cells_per_ml": 5e6, "viability_percent": 90, "volume_ml": 10},
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_a_cell_container"


# ---- plan and preparation ------------------------------------------------------------------------------


def test_the_worksheet_for_an_active_code_draws_the_target_dose(trial):
    (_, code), *_ = trial.of_arm("active")
    thaw = trial.thaw(cells_per_ml=4e6, volume=20)
    plan = trial.pharmacist.get(
        "/api/v1/doses/plan", query_string={"randomization_code": code, "thaw_id": thaw["thaw_id"]}
    )
    assert plan.status_code == 200, plan.json
    assert (plan.json["arm"], plan.json["draw_ml"], plan.json["diluent_ml"]) == ("active", 20.0, 80.0)
    assert plan.json["expected_viable_cells"] == pytest.approx(8e7)


def test_the_worksheet_for_a_placebo_code_is_all_vehicle(trial):
    (_, code), *_ = trial.of_arm("placebo")
    plan = trial.pharmacist.get("/api/v1/doses/plan", query_string={"randomization_code": code}).json
    assert (plan["arm"], plan["draw_ml"], plan["diluent_ml"], plan["final_volume_ml"]) == (
        "placebo",
        0,
        100,
        100,
    )


def test_an_active_bag_is_prepared_from_a_thaw(trial):
    (participant, code), *_ = trial.of_arm("active")
    thaw = trial.thaw()
    response = trial.prepare_active(code, thaw["thaw_id"], drawn=20)
    assert response.status_code == 201, response.json
    bag = response.json
    assert bag["randomization_code"] == code
    assert bag["participant_id"] == participant
    assert bag["dose_viable_cells"] == pytest.approx(1e8)
    assert re.fullmatch(r"B[0-9A-Z]{11}", bag["bag_id"])
    assert re.fullmatch(r"[0-9A-Z]{31}", bag["qr_payload"])
    prepared = dt.datetime.fromisoformat(bag["prepared_at"])
    assert dt.datetime.fromisoformat(bag["expires_at"]) == prepared + dt.timedelta(hours=2)


def test_a_placebo_bag_uses_one_vehicle_container_of_the_pharmacys_stock(trial):
    (_, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    assert bag["dose_viable_cells"] == 0
    assert bag["lot_number"] == VEHICLE_LOT
    custody = trial.pharmacist.get(f"/api/v1/containers/{bag['container_id']}/custody").json["events"]
    assert [e["action"] for e in custody] == ["issue", "use"]


@pytest.mark.parametrize(
    ("cells_per_ml", "drawn", "ok"),
    [(5e6, 15.8, False), (5e6, 16, True), (6e6, 20, True), (6.05e6, 20, False)],
)
def test_the_dose_must_be_within_twenty_percent(trial, cells_per_ml, drawn, ok):
    (_, code), *_ = trial.of_arm("active")
    thaw = trial.thaw(cells_per_ml=cells_per_ml, volume=20)
    response = trial.prepare_active(code, thaw["thaw_id"], drawn=drawn)
    assert (response.status_code == 201) is ok, response.json
    if not ok:
        assert response.json["error"]["code"] == "dose_out_of_tolerance"


def test_a_refused_preparation_stores_nothing(app, trial):
    (_, code), *_ = trial.of_arm("active")
    thaw = trial.thaw()
    before = (_count(app, AuditEvent), _count(app, Bag))
    assert trial.prepare_active(code, thaw["thaw_id"], drawn=15).status_code == 422
    assert (_count(app, AuditEvent), _count(app, Bag)) == before


def test_a_placebo_code_refuses_cells_and_an_active_code_refuses_vehicle(trial):
    (_, placebo_code), *_ = trial.of_arm("placebo")
    (_, active_code), *_ = trial.of_arm("active")
    with_cells = trial.prepare_active(placebo_code)
    assert with_cells.status_code == 422
    assert with_cells.json["error"]["code"] == "wrong_material"
    with_vehicle = trial.prepare_placebo(active_code)
    assert with_vehicle.status_code == 422
    assert with_vehicle.json["error"]["code"] == "wrong_material"


def test_an_unusable_thaw_cannot_make_a_bag(trial):
    (_, code), *_ = trial.of_arm("active")
    thaw = trial.thaw(viability=60)
    response = trial.prepare_active(code, thaw["thaw_id"])
    assert response.status_code == 422
    assert response.json["error"]["code"] == "thaw_unusable"


def test_a_thaw_older_than_an_hour_cannot_make_a_bag(app, trial):
    (_, code), *_ = trial.of_arm("active")
    thaw = trial.thaw()
    _let_time_pass(app, thaw["thaw_id"], dt.timedelta(minutes=61))
    response = trial.prepare_active(code, thaw["thaw_id"])
    assert response.status_code == 422
    assert response.json["error"]["code"] == "thaw_window_closed"


def test_the_final_volume_must_be_the_studys_within_two_millilitres(trial):
    (_, code), *_ = trial.of_arm("placebo")
    response = trial.prepare_placebo(code, final_volume_ml=97.5)
    assert response.status_code == 422
    assert "final_volume_ml" in response.json["error"]["details"]
    assert trial.prepare_placebo(code, final_volume_ml=101.5).status_code == 201


def test_a_code_has_one_live_bag_until_it_is_voided(trial):
    (_, code), *_ = trial.of_arm("placebo")
    first = trial.prepare(code, "placebo")
    second = trial.prepare_placebo(code)
    assert second.status_code == 409
    assert second.json["error"]["code"] == "live_bag_exists"
    voided = trial.pharmacist.post(f"/api/v1/bags/{first['bag_id']}/void", json={"reason": "bag punctured"})
    assert voided.status_code == 200
    assert voided.json["status"] == "voided"
    assert trial.prepare_placebo(code).status_code == 201


def test_a_void_needs_a_reason_and_happens_once(trial):
    (_, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    assert trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/void", json={"reason": ""}).status_code == 422
    assert (
        trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/void", json={"reason": "x"}).status_code == 200
    )
    again = trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/void", json={"reason": "x"})
    assert again.status_code == 409


def test_an_unknown_code_or_bag_is_404(trial):
    response = trial.prepare_placebo("RZZZZZZ")
    assert response.status_code == 404
    assert trial.pharmacist.get("/api/v1/bags/B2222222222L").status_code == 404


def test_simultaneous_preparations_for_one_code_make_one_bag(app, trial):
    (_, code), *_ = trial.of_arm("placebo")
    statuses = []

    def prepare():
        client = app.test_client()
        response = client.post(
            "/api/v1/doses",
            json={"randomization_code": code, "placebo_lot": VEHICLE_LOT, "final_volume_ml": 100},
            headers={"Authorization": f"Bearer {trial.pharmacist.token}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=prepare) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201] + [409] * 7


def test_a_second_pharmacist_may_witness_the_preparation(trial, login):
    witness = login("pharmacist")
    (_, code), *_ = trial.of_arm("placebo")
    refused = trial.prepare_placebo(
        code, witness_username=witness.username, witness_password="wrong-Password-1"
    )
    assert refused.status_code == 401
    self_witness = trial.prepare_placebo(
        code, witness_username=trial.pharmacist.username, witness_password=PASSWORD
    )
    assert self_witness.status_code == 403
    bag = trial.prepare_placebo(code, witness_username=witness.username, witness_password=PASSWORD)
    assert bag.status_code == 201
    assert bag.json["witness"] == witness.username


# ---- labels --------------------------------------------------------------------------------------------


def test_the_label_prints_once_then_a_reprint_needs_a_reason_and_both_are_audited(trial):
    (_, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    url = f"/api/v1/bags/{bag['bag_id']}/label.pdf"
    first = trial.pharmacist.get(url)
    assert first.status_code == 200
    assert first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF")
    refused = trial.pharmacist.get(url)
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "reprint_reason_required"
    again = trial.pharmacist.get(url, query_string={"reason": "label smudged"})
    assert again.status_code == 200
    zpl = trial.pharmacist.get(f"/api/v1/bags/{bag['bag_id']}/label.zpl", query_string={"reason": "thermal"})
    assert bag["qr_payload"] in zpl.get_data(as_text=True)
    events = trial.qa.get(
        "/api/v1/audit", query_string={"entity_type": "bag", "entity_id": bag["bag_id"]}
    ).json
    prints = [(e["action"], e["after"]["print_count"]) for e in events["events"] if "label" in e["action"]]
    assert prints == [("print_label", 1), ("reprint_label", 2), ("reprint_label", 3)]


def test_a_voided_bags_label_is_not_printed(trial):
    (_, code), *_ = trial.of_arm("placebo")
    bag = trial.prepare(code, "placebo")
    trial.pharmacist.post(f"/api/v1/bags/{bag['bag_id']}/void", json={"reason": "dropped"})
    response = trial.pharmacist.get(f"/api/v1/bags/{bag['bag_id']}/label.pdf")
    assert response.status_code == 409
    assert response.json["error"]["code"] == "bag_voided"


# ---- blinding ------------------------------------------------------------------------------------------


def _matched_bags(trial):
    (active_participant, active_code), *_ = trial.of_arm("active")
    (placebo_participant, placebo_code), *_ = trial.of_arm("placebo")
    return trial.prepare(active_code, "active"), trial.prepare(placebo_code, "placebo")


def _mask(text: str, bag: dict) -> str:
    for value in (bag["qr_payload"], bag["bag_id"], bag["randomization_code"], bag["participant_id"]):
        text = text.replace(value, "<ID>")
    return re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d)?", "<TIME>", text)


def test_blinded_roles_see_the_same_bag_whatever_the_arm(trial):
    active, placebo = _matched_bags(trial)
    for reader_client in (trial.nurse, trial.investigator):
        seen = [reader_client.get(f"/api/v1/bags/{b['bag_id']}").json for b in (active, placebo)]
        assert set(seen[0]) == set(seen[1])
        assert not mentions_an_arm(seen[0])
        assert not mentions_an_arm(seen[1])
        assert _mask(str(sorted(seen[0].items())), active) == _mask(str(sorted(seen[1].items())), placebo)


def test_labels_of_an_active_and_a_placebo_bag_differ_only_in_ids_and_times(trial):
    active, placebo = _matched_bags(trial)
    zpl = [
        trial.pharmacist.get(f"/api/v1/bags/{b['bag_id']}/label.zpl").get_data(as_text=True)
        for b in (active, placebo)
    ]
    assert _mask(zpl[0], active) == _mask(zpl[1], placebo)
    pdf = [trial.pharmacist.get(f"/api/v1/bags/{b['bag_id']}/label.pdf").data for b in (active, placebo)]
    assert abs(len(pdf[0]) - len(pdf[1])) < 200
    for text in zpl:
        assert "active" not in text.lower()
        assert "placebo" in text.lower()  # the product line names both, identically on every bag
    assert len(active["qr_payload"]) == len(placebo["qr_payload"])


def test_a_blinded_auditor_sees_the_same_events_for_either_bag(trial):
    active, placebo = _matched_bags(trial)
    shapes = []
    for bag in (active, placebo):
        events = trial.qa.get(
            "/api/v1/audit", query_string={"entity_type": "bag", "entity_id": bag["bag_id"]}
        )
        events = events.json["events"]
        assert not mentions_an_arm([e["after"] for e in events])
        shapes.append([(e["action"], sorted(e["after"])) for e in events])
    assert shapes[0] == shapes[1]
    everything = trial.qa.get("/api/v1/audit").json["events"]
    assert not any(e["entity_type"] == "thaw" for e in everything)
    assert not any(CELL_LOT in str(e["after"]) for e in everything if e["entity_type"] == "bag")


def test_the_participant_shows_its_bag_blinded_to_the_ward_and_whole_to_the_pharmacy(trial):
    (participant, code), *_ = trial.of_arm("active")
    bag = trial.prepare(code, "active")
    seen_by_nurse = trial.nurse.get(f"/api/v1/participants/{participant}").json
    assert seen_by_nurse["bag"]["bag_id"] == bag["bag_id"]
    assert not mentions_an_arm(seen_by_nurse)
    seen_by_pharmacist = trial.pharmacist.get(f"/api/v1/participants/{participant}").json
    assert seen_by_pharmacist["bag"]["lot_number"] == CELL_LOT
