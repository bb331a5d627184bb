"""`audit verify` holds every record row to the trail: a row changed, deleted or added behind the trail's
back, in any table the trail describes, is named with its table, key and column; an untouched database
passes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Boolean, DateTime, Float, Integer, String, Text, select, text, update

from tests.audit_support import tamper
from tests.conftest import PASSWORD
from tests.lots_support import PASSING, create_lot, enter_results, passing_lot
from tests.pharmacy_support import CELL_LOT, build_trial
from tests.sites_support import add_site
from tests.ward_support import ready_bag, scan, start
from tracker.audit.records import NOT_RECORDS, record_tables
from tracker.db import CLOCK
from tracker.models import Base

RECORD_TABLES = sorted(t.name for t in record_tables())


@pytest.fixture
def day(login, runner, tmp_path):
    """A small trial day touching every record table: lots and QC, a signed release, a list with its arms,
    enrolment, a thaw, bags of both arms, handoffs, a scan, an infusion, an adverse event, a code-break and a
    storage unit with a container moved into it, quarantined by an excursion, and a shipment of a kit."""
    trial = build_trial(login, runner, tmp_path, per_arm=2)
    bag = ready_bag(trial, "active")
    ready_bag(trial, "placebo")
    assert scan(trial, bag["qr_payload"], bag["participant_id"]).status_code == 200
    started = (dt.datetime.now(dt.UTC)).isoformat()
    infusion = start(trial, bag["bag_id"], bag["participant_id"], started_at=started)
    assert infusion.status_code == 201
    reaction = trial.nurse.post(
        f"/api/v1/infusions/{infusion.json['infusion_id']}/adverse-events",
        json={"onset_at": started, "description": "Flushing", "grade": 1, "serious": False,
              "actions_taken": ["infusion_slowed"]},
    )  # fmt: skip
    assert reaction.status_code == 201, reaction.json
    participant_id = trial.of_arm("placebo")[1][0]
    broken = trial.investigator.post(
        f"/api/v1/participants/{participant_id}/unblind", json={"reason": "emergency", "password": PASSWORD}
    )
    assert broken.status_code == 200, broken.json
    _deviation_closed(trial, bag["bag_id"])
    _stored_and_moved(trial)
    add_site(login, "SITE-02")  # a site, made by the admin (a record table too)
    _shipped_and_received(trial)
    _released_with_a_result_pending(trial, runner)
    yield trial
    CLOCK.reset()


def _stored_and_moved(trial):
    """A storage unit, a container of the lab's store moved into it, and readings of the unit an hour later
    showing an excursion beyond the study's limit, which puts the container in quarantine."""
    made = trial.gmp.post("/api/v1/storage-units", json={"unit_id": "LN2-09", "name": "Spare", "kind":
                          "ln2_freezer", "location": "GMP lab"})  # fmt: skip
    assert made.status_code == 201, made.json
    stored = create_lot(trial.gmp, "UC-STORE", "ucmsc")["containers"][0]["container_id"]
    move = {"container_id": stored, "rack": "R1", "box": "B1", "position": "A1"}
    assert trial.gmp.post("/api/v1/storage-units/LN2-09/moves", json=move).status_code == 201
    CLOCK.advance(dt.timedelta(hours=1))
    start = CLOCK.now() - dt.timedelta(minutes=55)
    values = [-190] * 2 + [-120] * 8 + [-190] * 2  # 40 minutes out of range: beyond the limit
    readings = [
        {"at": (start + dt.timedelta(minutes=5 * i)).isoformat(), "temperature_c": v}
        for i, v in enumerate(values)
    ]
    posted = trial.gmp.post("/api/v1/storage-units/LN2-09/readings", json={"readings": readings})
    assert posted.status_code == 201, posted.json
    held = trial.qa.get("/api/v1/containers/quarantined").json["items"]
    assert [q["container_id"] for q in held] == [stored]


def _shipped_and_received(trial):
    """A kit of the lab's store shipped to another site's pharmacy and received there."""
    kit = []
    for lot, material in (("UC-SHIP", "ucmsc"), ("VEH-SHIP", "placebo")):
        kit.append(passing_lot(trial.gmp, lot, material)["containers"][0]["container_id"])
        signed = trial.qa.post(f"/api/v1/lots/{lot}/release", json={"password": PASSWORD, "meaning": "ok"})
        assert signed.status_code == 200, signed.json
    planned = trial.gmp.post(
        "/api/v1/shipments",
        json={"destination_site": "site-02", "courier": "ColdCourier", "tracking_number": "TRK-9",
              "container_ids": kit},
    )  # fmt: skip
    assert planned.status_code == 201, planned.json
    shipment_id = planned.json["shipment_id"]
    assert trial.gmp.post(f"/api/v1/shipments/{shipment_id}/dispatch").status_code == 200
    received = trial.pharmacist.post(f"/api/v1/shipments/{shipment_id}/receipt", json={"container_ids": kit})
    assert received.status_code == 200, received.json


def _released_with_a_result_pending(trial, runner):
    """A lot of the fresh-product study released with sterility pending, whose late result then passes."""
    assert runner.invoke(args=["study", "load", "umsis-fresh"]).exit_code == 0
    create_lot(trial.gmp, "UC-FRESH", "ucmsc")
    enter_results(trial.gmp, "UC-FRESH", {t: v for t, v in PASSING["ucmsc"].items() if t != "sterility"})
    released = trial.qa.post("/api/v1/lots/UC-FRESH/release", json={"password": PASSWORD, "meaning": "ok"})
    assert released.status_code == 200, released.json
    late = trial.gmp.post("/api/v1/lots/UC-FRESH/qc-results", json={"test": "sterility", "value": "negative"})
    assert late.status_code == 201, late.json


def _deviation_closed(trial, bag_id):
    """A deviation on the bag, raised by the pharmacist with its lot, taken to its signed closure."""
    raised = trial.pharmacist.post(
        "/api/v1/deviations",
        json={"title": "Seal", "description": "Seal loose", "category": "other", "bag_id": bag_id,
              "lot_number": CELL_LOT},
    )  # fmt: skip
    assert raised.status_code == 201, raised.json
    url = f"/api/v1/deviations/{raised.json['deviation_id']}"
    capa = {
        "investigation": "i", "root_cause": "r", "corrective_action": "c", "preventive_action": "p",
        "capa_owner": "o", "capa_due_at": "2030-01-01T00:00:00+00:00",
    }  # fmt: skip
    assert trial.qa.post(f"{url}/transition", json={"to": "under_investigation"}).status_code == 200
    assert trial.qa.post(f"{url}/transition", json={"to": "capa_defined", **capa}).status_code == 200
    closed = trial.qa.post(f"{url}/close", json={"password": PASSWORD, "meaning": "closed"})
    assert closed.status_code == 200, closed.json


def _verify(runner):
    return runner.invoke(args=["audit", "verify"])


def test_every_table_is_described_by_the_trail_or_left_out_with_a_reason():
    for table in Base.metadata.sorted_tables:
        assert table.name in RECORD_TABLES or NOT_RECORDS.get(table.name), table.name


def test_an_untouched_trial_day_verifies_row_for_row(day, runner, app):
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "Records agree with the trail" in result.output
    engine = app.extensions["tracker"].engine
    with engine.connect() as conn:
        for name in RECORD_TABLES:
            assert conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one() > 0, name  # noqa: S608


def _last_row(conn, table):
    (pk,) = table.primary_key.columns
    return conn.execute(select(table).order_by(pk.desc()).limit(1)).one()._mapping


def _changed(column, value):
    kind = column.type
    if isinstance(kind, Boolean):
        return not value
    if isinstance(kind, Integer):
        return (value or 0) + 1
    if isinstance(kind, Float):
        return (value or 0.0) + 1.5
    if isinstance(kind, DateTime):
        return (value or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) + dt.timedelta(days=1)
    if isinstance(kind, String | Text):
        return "tampered"[: kind.length or 8]
    return None


def _column_to_change(table):
    """A column whose change breaks no constraint: else a foreign key (changed with the keys switched off)."""
    referenced = {fk.column for t in Base.metadata.sorted_tables for fk in t.foreign_keys}
    changeable = [
        c for c in table.columns
        if not c.primary_key and c not in referenced
        and isinstance(c.type, Boolean | Integer | Float | DateTime | String | Text)
    ]  # fmt: skip
    plain = [c for c in changeable if not c.foreign_keys]
    if not (plain or changeable):
        raise AssertionError(f"{table.name} has no column a test can change")
    return (plain or changeable)[0]


@pytest.mark.parametrize("name", RECORD_TABLES)
def test_a_changed_row_is_named_with_its_column(day, app, runner, name):
    table = Base.metadata.tables[name]
    column = _column_to_change(table)
    (pk,) = table.primary_key.columns
    with app.extensions["tracker"].engine.connect() as conn:
        row = _last_row(conn, table)
    changed = _changed(column, row[column.name])
    if column.foreign_keys:  # point it at another row that exists
        (target,) = {fk.column for fk in column.foreign_keys}
        with app.extensions["tracker"].engine.connect() as conn:
            changed = conn.execute(select(target).where(target != row[column.name]).limit(1)).scalar_one()
    tamper(app, update(table).where(pk == row[pk.name]).values({column.name: changed}))
    result = _verify(runner)
    assert result.exit_code != 0
    assert "Records DISAGREE" in result.output
    assert f"{name} " in result.output
    assert f"column {column.name}" in result.output


@pytest.mark.parametrize("name", RECORD_TABLES)
def test_a_deleted_row_is_named(day, app, runner, name):
    table = Base.metadata.tables[name]
    (pk,) = table.primary_key.columns
    with app.extensions["tracker"].engine.connect() as conn:
        row = _last_row(conn, table)
    tamper(app, table.delete().where(pk == row[pk.name]), foreign_keys_off=True)
    result = _verify(runner)
    assert result.exit_code != 0
    assert f"{name} " in result.output
    assert "it was deleted" in result.output


def test_a_row_added_behind_the_trails_back_is_named(day, app, runner):
    table = Base.metadata.tables["user_account"]
    with app.extensions["tracker"].engine.connect() as conn:
        row = dict(_last_row(conn, table))
    row.update(id=row["id"] + 1000, username="ghost", role="admin")
    tamper(app, table.insert().values(row))
    result = _verify(runner)
    assert result.exit_code != 0
    assert "a row no event wrote" in result.output


def test_an_arm_changed_in_the_allocation_is_caught_without_printing_arms(day, app, runner):
    table = Base.metadata.tables["allocation"]
    with app.extensions["tracker"].engine.connect() as conn:
        row = _last_row(conn, table)
    flipped = "placebo" if row["arm"] == "active" else "active"
    tamper(app, update(table).where(table.c.code == row["code"]).values(arm=flipped))
    result = _verify(runner)
    assert result.exit_code != 0
    assert "allocation" in result.output
    assert "column arm" in result.output
    assert "active" not in result.output
    assert "placebo" not in result.output
