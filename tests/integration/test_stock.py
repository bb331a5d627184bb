"""The pharmacy's stock through the API: containers reach the pharmacy only by an issue in whole kits, all or
nothing; the thaw and the placebo preparation take from the stock only; and blinded readers see a container
in the pharmacy as `in_pharmacy`, its custody up to the issue and lot counts that nothing the pharmacy does
can move, while the pharmacist sees everything."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select, text

from tests.conftest import PASSWORD
from tests.integration.test_concurrency import THREADS, run_together
from tests.lots_support import create_lot, issue, issue_kits, passing_lot
from tests.pdf_support import pdf_text
from tests.pharmacy_support import CELL_LOT, VEHICLE_LOT, build_trial
from tracker.audit.models import AuditEvent
from tracker.custody.models import CustodyEvent
from tracker.roles import SYSTEM
from tracker.stock.models import Kit, KitContainer
from tracker.studies.services import load_study, read_definition_file
from tracker.web.context import reader, uow


def _count(app, *models):
    with app.app_context(), reader() as work:
        return tuple(work.session.execute(select(func.count()).select_from(m)).scalar_one() for m in models)


def _release(qa, lot_number):
    response = qa.post(f"/api/v1/lots/{lot_number}/release", json={"password": PASSWORD, "meaning": "ok"})
    assert response.status_code == 200, response.json


def _released(gmp, qa, lot_number, material, count=4):
    lot = passing_lot(gmp, lot_number, material, container_count=count)
    _release(qa, lot_number)
    return [c["container_id"] for c in lot["containers"]]


@pytest.fixture
def lab(login):
    """A gmp, a qa and a pharmacist user, and a released cell lot and vehicle lot of four containers each."""
    gmp, qa, pharmacist = login("gmp"), login("qa"), login("pharmacist")
    cells = _released(gmp, qa, "UC-0001", "ucmsc")
    vehicle = _released(gmp, qa, "VEH-0001", "placebo")
    return {"gmp": gmp, "qa": qa, "pharmacist": pharmacist, "cells": cells, "vehicle": vehicle}


def _statuses(client, lot_number):
    return [c["status"] for c in client.get(f"/api/v1/lots/{lot_number}").json["containers"]]


# ---- the issue in kits ---------------------------------------------------------------------------------


def test_the_lab_issues_a_kit_of_one_cell_and_one_vehicle_container_to_the_pharmacy(lab):
    gmp, qa = lab["gmp"], lab["qa"]
    cell, vehicle = lab["cells"][0], lab["vehicle"][0]
    response = issue(gmp, cell.lower(), vehicle, location="Pharmacy, level 2")
    assert response.status_code == 201, response.json
    answer = response.json
    assert answer["issued"] == [
        {"container_id": cell, "lot_number": "UC-0001"},
        {"container_id": vehicle, "lot_number": "VEH-0001"},
    ]
    assert answer["location"] == "Pharmacy, level 2"
    (kit,) = answer["kits"]
    assert re.fullmatch(r"K[0-9A-Z]{10}", kit["kit_id"])
    assert kit["container_ids"] == [cell, vehicle]
    for cid in (cell, vehicle):
        custody = qa.get(f"/api/v1/containers/{cid}/custody").json["events"]
        assert [(e["action"], e["user"], e["location"], e["at"]) for e in custody] == [
            ("issue", gmp.username, "Pharmacy, level 2", answer["at"])
        ]
        audit = qa.get(f"/api/v1/audit?entity_type=container&entity_id={cid}").json["events"]
        assert [e["action"] for e in audit] == ["create", "issue"]
        assert audit[-1]["after"]["kit_id"] == kit["kit_id"]
    kits = qa.get("/api/v1/kits").json["items"]
    assert kits == [
        {
            "kit_id": kit["kit_id"], "issued_at": answer["at"], "issued_by": gmp.username,
            "location": "Pharmacy, level 2",
            "containers": [
                {"container_id": cell, "lot_number": "UC-0001"},
                {"container_id": vehicle, "lot_number": "VEH-0001"},
            ],
        }
    ]  # fmt: skip
    assert gmp.get("/api/v1/lots/UC-0001").json["containers_by_status"] == {
        "in_store": 3, "in_pharmacy": 1, "discarded_in_lab": 0
    }  # fmt: skip


def test_several_kits_are_issued_at_once_each_with_one_container_of_each_material(lab):
    pharmacist = lab["pharmacist"]
    ids = [lab["cells"][0], lab["cells"][1], lab["vehicle"][0], lab["vehicle"][1]]
    response = issue(pharmacist, *ids)
    assert response.status_code == 201, response.json
    assert [k["container_ids"] for k in response.json["kits"]] == [
        [lab["cells"][0], lab["vehicle"][0]],
        [lab["cells"][1], lab["vehicle"][1]],
    ]
    assert _statuses(pharmacist, "UC-0001") == ["issued", "issued", "stored", "stored"]


@pytest.mark.parametrize(
    ("pick", "missing"),
    [
        (lambda lab: [lab["cells"][0]], {"placebo": 1}),
        (lambda lab: [lab["vehicle"][0], lab["vehicle"][1]], {"ucmsc": 2}),
        (lambda lab: [lab["cells"][0], lab["cells"][1], lab["vehicle"][0]], {"placebo": 1}),
    ],
)
def test_a_request_that_is_not_whole_kits_is_refused_saying_what_is_missing(app, lab, pick, missing):
    before = _count(app, AuditEvent, CustodyEvent, Kit)
    response = issue(lab["gmp"], *pick(lab))
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "incomplete_kit"
    assert error["details"]["missing"] == missing
    assert "A kit is 1 UC-MSC container and 1 vehicle container" in error["message"]
    assert "missing" in error["message"]
    assert _count(app, AuditEvent, CustodyEvent, Kit) == before


def test_the_single_container_issue_is_refused_where_the_study_sets_a_kit(app, lab):
    before = _count(app, AuditEvent, CustodyEvent)
    response = lab["gmp"].post(
        f"/api/v1/containers/{lab['cells'][0]}/handoffs", json={"action": "issue", "location": "Pharmacy"}
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "issue_as_kit"
    assert "whole kits" in response.json["error"]["message"]
    assert _count(app, AuditEvent, CustodyEvent) == before
    assert set(_statuses(lab["gmp"], "UC-0001")) == {"in_store"}


def _recall(qa, lot_number):
    response = qa.post(f"/api/v1/lots/{lot_number}/recall", json={"password": PASSWORD, "reason": "lookback"})
    assert response.status_code == 200, response.json


def _expire(app, lot_number):
    with app.app_context(), uow() as work:
        past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1)
        work.session.execute(
            text("UPDATE lot SET expires_at = :t WHERE lot_number = :n"), {"t": past, "n": lot_number}
        )
        work.commit()


@pytest.mark.parametrize(
    ("spoil", "code"),
    [
        ("issued before", "not_in_store"),
        ("discarded in the lab", "not_in_store"),
        ("lot in quarantine", "lot_not_released"),
        ("lot recalled", "lot_recalled"),
        ("lot expired", "lot_expired"),
    ],
)
def test_a_container_not_in_store_or_of_an_unusable_lot_is_refused_by_name(app, lab, login, spoil, code):
    gmp, qa = lab["gmp"], lab["qa"]
    cell, vehicle = lab["cells"][0], lab["vehicle"][0]
    if spoil == "issued before":
        issue_kits(gmp, [cell], [vehicle])
        vehicle = lab["vehicle"][1]
    elif spoil == "discarded in the lab":
        discarded = gmp.post(
            f"/api/v1/containers/{cell}/handoffs",
            json={"action": "discard", "location": "LN2", "note": "cracked"},
        )
        assert discarded.status_code == 201
    elif spoil == "lot in quarantine":
        cell = create_lot(gmp, "UC-0002")["containers"][0]["container_id"]
    elif spoil == "lot recalled":
        _recall(qa, "UC-0001")
    else:
        _expire(app, "UC-0001")
    before = _count(app, AuditEvent, CustodyEvent, Kit)
    response = issue(gmp, cell, vehicle)
    assert response.status_code == 409, response.json
    error = response.json["error"]
    assert error["code"] == code
    assert cell in error["message"]
    assert [(p["container_id"], p["code"]) for p in error["details"]["containers"]] == [(cell, code)]
    assert _count(app, AuditEvent, CustodyEvent, Kit) == before
    kits = lab["pharmacist"].get("/api/v1/kits").json["items"]
    assert vehicle not in {c["container_id"] for k in kits for c in k["containers"]}


def test_an_issue_is_all_or_nothing(app, lab):
    gmp = lab["gmp"]
    quarantined = create_lot(gmp, "UC-0002")["containers"][0]["container_id"]
    before = _count(app, AuditEvent, CustodyEvent, Kit, KitContainer)
    # The first kit could go; the second cannot, so neither does.
    response = issue(gmp, lab["cells"][0], quarantined, lab["vehicle"][0], lab["vehicle"][1])
    assert response.status_code == 409
    assert response.json["error"]["code"] == "lot_not_released"
    assert _count(app, AuditEvent, CustodyEvent, Kit, KitContainer) == before
    assert set(_statuses(gmp, "UC-0001")) == set(_statuses(gmp, "VEH-0001")) == {"in_store"}


def test_unknown_containers_are_404_and_a_container_named_twice_is_422(lab):
    gmp = lab["gmp"]
    misspelt = lab["cells"][0][:-1] + ("0" if lab["cells"][0][-1] != "0" else "1")
    unknown = issue(gmp, misspelt, lab["vehicle"][0])
    assert unknown.status_code == 404
    assert unknown.json["error"]["code"] == "container_not_found"
    assert misspelt in unknown.json["error"]["message"]
    twice = issue(gmp, lab["cells"][0], lab["vehicle"][0], lab["cells"][0].lower(), lab["vehicle"][1])
    assert twice.status_code == 422
    assert twice.json["error"]["code"] == "duplicate_container"
    for body in ({"container_ids": [], "location": "Pharmacy"}, {"container_ids": [lab["cells"][0]]}):
        assert gmp.post("/api/v1/containers/issue", json=body).status_code == 422


def test_only_the_lab_and_the_pharmacy_issue(lab, login):
    for role in ("qa", "nurse", "investigator", "admin", "statistician"):
        response = issue(login(role), lab["cells"][0], lab["vehicle"][0])
        assert response.status_code == 403
    assert lab["gmp"].client.post("/api/v1/containers/issue", json={}).status_code == 401


def test_simultaneous_issues_of_one_kit_give_one_201(app, lab):
    body = {"container_ids": [lab["cells"][0], lab["vehicle"][0]], "location": "Pharmacy"}
    tokens = [lab["gmp"].token, lab["pharmacist"].token]

    def post(n: int) -> tuple[int, dict]:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {tokens[n % 2]}"}
        response = client.post("/api/v1/containers/issue", json=body, headers=headers)
        return response.status_code, response.json

    answers = run_together(THREADS, post)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * (THREADS - 1), answers
    assert {body["error"]["code"] for status, body in answers if status == 409} == {"not_in_store"}
    assert _count(app, Kit, KitContainer) == (1, 2)
    with app.app_context(), reader() as work:
        issues = work.session.execute(
            select(func.count()).where(AuditEvent.action == "issue", AuditEvent.entity_type == "container")
        ).scalar_one()
    assert issues == 2


# ---- a study without an issue kit ----------------------------------------------------------------------


@pytest.fixture
def singles(app, tmp_path):
    """The UMSIS definition without an issue kit, loaded: containers are issued one at a time."""
    definition = read_definition_file("umsis")
    del definition["issue_kit"]
    definition["code"] = "umsis-singles"
    path = tmp_path / "singles.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    with app.app_context():
        load_study(uow(), SYSTEM, str(path))


def test_a_study_without_a_kit_issues_single_containers_as_before(singles, lab):
    gmp, qa, pharmacist = lab["gmp"], lab["qa"], lab["pharmacist"]
    cid = lab["cells"][1]
    response = pharmacist.post(
        f"/api/v1/containers/{cid.lower()}/handoffs",
        json={"action": "issue", "location": "pharmacy", "note": "for participant prep"},
    )
    assert response.status_code == 201, response.json
    event = response.json
    assert (event["action"], event["location"], event["user"], event["role"]) == (
        "issue", "pharmacy", pharmacist.username, "pharmacist",
    )  # fmt: skip
    assert event["container"]["status"] == "issued"
    again = gmp.post(f"/api/v1/containers/{cid}/handoffs", json={"action": "issue", "location": "pharmacy"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "action_out_of_order"
    assert again.json["error"]["message"] == f"Container {cid} is in the pharmacy: it cannot be issued now"
    custody = qa.get(f"/api/v1/containers/{cid}/custody").json["events"]
    assert [(e["action"], e["user"]) for e in custody] == [("issue", pharmacist.username)]
    # The issue route takes any containers then, each on its own, and records no kit.
    several = issue(gmp, lab["cells"][2], lab["cells"][3])
    assert several.status_code == 201, several.json
    assert several.json["kits"] == []
    assert gmp.get("/api/v1/lots/UC-0001").json["containers_by_status"]["in_pharmacy"] == 3
    assert qa.get("/api/v1/kits").json["items"] == []
    stock = pharmacist.get("/api/v1/stock").json
    assert {c["container_id"] for c in stock["containers"]} == {cid, lab["cells"][2], lab["cells"][3]}


# ---- the pharmacy takes from its stock only ------------------------------------------------------------


@pytest.fixture
def small_trial(login, runner, tmp_path):
    """The pharmacy trial with one kit issued; the other containers stay in the lab's store."""
    return build_trial(login, runner, tmp_path, kits=1)


def test_a_thaw_of_a_container_still_in_the_store_is_refused_not_in_pharmacy(app, small_trial):
    in_store = small_trial.cell_containers[1]
    before = _count(app, AuditEvent, CustodyEvent)
    response = small_trial.pharmacist.post(
        "/api/v1/thaws",
        json={"container_id": in_store, "viable_cells_per_ml": 5e6, "viability_percent": 90, "volume_ml": 10},
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_in_pharmacy"
    assert response.json["error"]["message"].startswith(
        f"Container {in_store} is still in the GMP lab's store"
    )
    assert _count(app, AuditEvent, CustodyEvent) == before
    in_chinese = small_trial.pharmacist.post(
        "/api/v1/thaws", headers={"Accept-Language": "zh-CN"},
        json={"container_id": in_store, "viable_cells_per_ml": 5e6, "viability_percent": 90, "volume_ml": 10},
    )  # fmt: skip
    assert in_chinese.json["error"]["message"] == (
        f"容器 {in_store} 仍在 GMP 实验室库存中：实验室须先将其（以套件形式）发放至药房，才能标记为“已复苏”"
    )
    assert _statuses(small_trial.pharmacist, CELL_LOT)[1] == "stored"
    in_pharmacy = small_trial.cell_containers[0]
    assert small_trial.thaw()["container_id"] == in_pharmacy


def test_a_placebo_preparation_needs_a_vehicle_container_in_the_pharmacy(app, login, runner, tmp_path):
    trial = build_trial(login, runner, tmp_path, kits=0)
    (_, code), *_ = trial.of_arm("placebo")
    before = _count(app, AuditEvent, CustodyEvent)
    refused = trial.prepare_placebo(code)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "not_in_pharmacy"
    assert VEHICLE_LOT in refused.json["error"]["message"]
    assert _count(app, AuditEvent, CustodyEvent) == before
    issue_kits(trial.gmp, trial.cell_containers[:1], trial.vehicle_containers[:1])
    bag = trial.prepare(code, "placebo")
    assert bag["container_id"] == trial.vehicle_containers[0]
    # That was the pharmacy's only vehicle container: the next placebo bag needs another kit.
    (_, second), *_ = trial.of_arm("placebo")[1:]
    assert trial.prepare_placebo(second).json["error"]["code"] == "not_in_pharmacy"


def test_the_pharmacy_discards_what_it_holds_as_discard_in_pharmacy_and_the_lab_cannot(app, small_trial):
    gmp, qa, pharmacist = small_trial.gmp, small_trial.qa, small_trial.pharmacist
    held = small_trial.vehicle_containers[0]
    refused = gmp.post(
        f"/api/v1/containers/{held}/handoffs", json={"action": "discard", "location": "LN2", "note": "x"}
    )
    assert refused.status_code == 409
    assert (
        refused.json["error"]["message"] == f"Container {held} is in the pharmacy: it cannot be discarded now"
    )
    response = pharmacist.post(
        f"/api/v1/containers/{held}/handoffs",
        json={"action": "discard", "location": "Pharmacy", "note": "bag seam leaking"},
    )
    assert response.status_code == 201, response.json
    assert response.json["action"] == "discard_in_pharmacy"
    assert response.json["container"]["status"] == "discarded_in_pharmacy"
    full = pharmacist.get(f"/api/v1/containers/{held}/custody").json["events"]
    assert [e["action"] for e in full] == ["issue", "discard_in_pharmacy"]
    # The discard is audited in the unblinded chain: the sealed chain every reader sees ends at the issue.
    sealed = qa.get("/api/v1/audit", query_string={"entity_type": "container", "entity_id": held}).json
    assert [e["action"] for e in sealed["events"]] == ["create", "issue"]
    unblinded = pharmacist.get(
        "/api/v1/audit/unblinded", query_string={"entity_type": "container", "entity_id": held}
    ).json
    assert [e["action"] for e in unblinded["events"]] == ["discard_in_pharmacy"]
    for blinded in (gmp, qa):
        assert [e["action"] for e in blinded.get(f"/api/v1/containers/{held}/custody").json["events"]] == [
            "issue"
        ]
        assert _statuses(blinded, VEHICLE_LOT)[0] == "in_pharmacy"
    # A discard in the lab's store stays a `discard`, whoever records it.
    in_store = small_trial.vehicle_containers[1]
    lab = pharmacist.post(
        f"/api/v1/containers/{in_store}/handoffs",
        json={"action": "discard", "location": "LN2", "note": "cracked"},
    )
    assert (lab.json["action"], lab.json["container"]["status"]) == ("discard", "discarded")
    assert _statuses(gmp, VEHICLE_LOT)[1] == "discarded_in_lab"


# ---- what blinded readers see --------------------------------------------------------------------------


_CSRF = re.compile(rb'name="csrf_token" value="[^"]*"')


def _blinded_reads(trial, containers, pages):
    """Every container-related answer and page a blinded reader can get, by reader and address."""
    urls = [
        "/api/v1/lots", f"/api/v1/lots/{CELL_LOT}", f"/api/v1/lots/{VEHICLE_LOT}", "/api/v1/kits",
        *(f"/api/v1/containers/{cid}/custody" for cid in containers),
    ]  # fmt: skip
    seen = {}
    for reader_client in (trial.gmp, trial.qa):
        for url in urls:
            response = reader_client.get(url)
            assert response.status_code == 200, (url, response.json)
            seen[reader_client.role, url] = response.data
        pdf = reader_client.get(f"/api/v1/lots/{CELL_LOT}/certificate.pdf")
        seen[reader_client.role, "certificate"] = _pdf_text(pdf.data)
    for role, browser in pages.items():
        for url in ("/lots", f"/lots/{CELL_LOT}", f"/lots/{VEHICLE_LOT}", f"/lots/{CELL_LOT}/boxes",
                    f"/lots/{VEHICLE_LOT}/boxes", "/kits"):  # fmt: skip
            response = browser.get(url)
            assert response.status_code == 200, (role, url)
            seen[role, url] = _CSRF.sub(b"<csrf>", response.data)
    return seen


def _pdf_text(data: bytes) -> str:
    return re.sub(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "Generated <time>", pdf_text(data))


def test_blinded_readers_see_nothing_move_when_the_pharmacy_thaws_uses_or_discards(small_trial, browse):
    trial = small_trial
    cells, vehicles = list(trial.cell_containers), list(trial.vehicle_containers)
    issue_kits(trial.gmp, cells[1:3], vehicles[1:3])
    kit_containers = [*cells[:3], *vehicles[:3]]
    pages = {"gmp": browse("gmp"), "qa": browse("qa")}
    before = _blinded_reads(trial, kit_containers, pages)
    for (role, url), body in before.items():
        if url.startswith("/api/v1/lots/") and not url.endswith("/custody"):
            counts = json.loads(body)["containers_by_status"]
            assert counts == {"in_store": 5, "in_pharmacy": 3, "discarded_in_lab": 0}, (role, url)
            assert {c["status"] for c in json.loads(body)["containers"]} == {"in_store", "in_pharmacy"}

    # The pharmacy: a thaw and an active bag, a placebo bag, a discard of a container in its stock.
    (_, active_code), *_ = trial.of_arm("active")
    (_, placebo_code), *_ = trial.of_arm("placebo")
    trial.prepare(active_code, "active")
    trial.prepare(placebo_code, "placebo")
    discarded = trial.pharmacist.post(
        f"/api/v1/containers/{cells[2]}/handoffs",
        json={"action": "discard", "location": "Pharmacy", "note": "vial cracked on thawing"},
    )
    assert discarded.status_code == 201, discarded.json
    after = _blinded_reads(trial, kit_containers, pages)
    assert after == before  # the same bytes: nothing a blinded reader gets moved

    # One container of each kit was taken, thawed or used; their custody reads alike but for IDs and times.
    def masked(body: bytes, cid: str) -> str:
        return re.sub(r"\d{4}-\d\d-\d\dT[0-9:.+]+", "<time>", body.decode().replace(cid, "<container>"))

    thawed, used = cells[0], vehicles[0]
    custody = {cid: after["qa", f"/api/v1/containers/{cid}/custody"] for cid in (thawed, used)}
    assert masked(custody[thawed], thawed) == masked(custody[used], used)

    # The pharmacist (unblinded) sees what happened.
    lot = trial.pharmacist.get(f"/api/v1/lots/{CELL_LOT}").json
    assert lot["containers_by_status"]["thawed"] == 1
    assert lot["containers_by_status"]["discarded_in_pharmacy"] == 1
    assert [
        e["action"] for e in trial.pharmacist.get(f"/api/v1/containers/{thawed}/custody").json["events"]
    ] == [
        "issue",
        "thaw",
    ]
    assert [
        e["action"] for e in trial.pharmacist.get(f"/api/v1/containers/{used}/custody").json["events"]
    ] == [
        "issue",
        "use",
    ]
    stock = trial.pharmacist.get("/api/v1/stock").json
    lines = {line["lot_number"]: line for line in stock["lots"]}
    assert (
        lines[CELL_LOT]["issued"],
        lines[CELL_LOT]["thawed"],
        lines[CELL_LOT]["discarded_in_pharmacy"],
    ) == (
        1,
        1,
        1,
    )
    assert (lines[VEHICLE_LOT]["issued"], lines[VEHICLE_LOT]["used"]) == (2, 1)
    assert [k["in_stock"] for k in stock["kits"]] == [False, True, True]


def test_blinded_answers_never_name_what_the_pharmacy_did(small_trial):
    trial = small_trial
    trial.thaw()
    (_, code), *_ = trial.of_arm("placebo")
    trial.prepare(code, "placebo")
    for reader_client in (trial.gmp, trial.qa):
        text_ = json.dumps(
            [
                reader_client.get("/api/v1/lots").json,
                reader_client.get(f"/api/v1/lots/{CELL_LOT}").json,
                reader_client.get(f"/api/v1/lots/{VEHICLE_LOT}").json,
            ]
        )
        for word in ("thawed", "used", "issued", "discarded_in_pharmacy", '"stored"'):
            assert word not in text_, (reader_client.role, word)


# ---- the migration ---------------------------------------------------------------------------------------


def test_init_db_migrates_a_database_made_before_the_stock(tmp_path):
    from alembic import command

    from tracker.db import make_engine
    from tracker.schema import alembic_config, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.connect().execution_options(write=True) as connection:
        command.upgrade(alembic_config(connection), "0009")
        connection.commit()
    assert migrate(engine) is True
    with engine.connect() as connection:
        tables = set(
            connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'").scalars()
        )
    assert {"kit", "kit_container"} <= tables
    assert migrate(engine) is False
    engine.dispose()
