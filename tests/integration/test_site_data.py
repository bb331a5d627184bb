"""The data sites really have (issue 19): lists written in other tools, participant IDs as people type them,
CSV files that are safe to open, requests that are refused rather than crash, and the ward's and pharmacy's
safety rules, through the API, the command line and the pages."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from pathlib import Path

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from tests.conftest import PASSWORD, _create_postgres_database, _drop_postgres_database
from tests.integration.randomization_support import fresh_code, import_list, list_csv, list_rows
from tests.lots_support import passing_lot
from tests.pharmacy_support import build_trial
from tests.sites_support import add_site
from tests.ward_support import GOOD_RECEIPT, WARD, handoff, move, print_label, scan, start
from tracker.db import make_engine
from tracker.randomization.models import Participant, RandomizationCode
from tracker.schema import alembic_config, migrate
from tracker.web.context import reader

SHAPES = ["UA0011", "1007", "S3-017", "umsis/B/12"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def trial(login, runner, tmp_path):
    return build_trial(login, runner, tmp_path)


def _codes(app) -> list[str]:
    with app.app_context(), reader() as work:
        return list(
            work.session.execute(select(RandomizationCode.code).order_by(RandomizationCode.id)).scalars()
        )


def _participants(app) -> int:
    with app.app_context(), reader() as work:
        return work.session.execute(select(func.count()).select_from(Participant)).scalar_one()


def _spreadsheet_csv(rows: list[tuple[str, str, str]]) -> bytes:
    """A list as a spreadsheet saves it: byte-order mark, CRLF, spaces around cells, a trailing empty row."""
    lines = ["randomization_code, stratum ,arm", *(f" {c} ,{s}, {a} " for c, s, a in rows), ",,"]
    return "\ufeff".encode() + "\r\n".join(lines).encode() + b"\r\n"


# ---- codes as the list's author wrote them ---------------------------------------------------------------


def test_a_list_with_every_code_shape_imports_on_the_command_line_kept_exactly(app, runner, tmp_path):
    rows = [(code, "A", ("active", "placebo")[i % 2]) for i, code in enumerate(SHAPES)]
    path = tmp_path / "statistician.csv"
    path.write_bytes(_spreadsheet_csv(rows))
    previewed = runner.invoke(args=["randomization", "import", str(path), "--preview"])
    assert previewed.exit_code == 0, previewed.output
    assert "stratum A: 4 codes" in previewed.output
    assert "active" not in previewed.output
    assert "placebo" not in previewed.output
    assert _codes(app) == []  # a preview stores nothing
    result = runner.invoke(args=["randomization", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert _codes(app) == SHAPES


def test_a_list_with_every_code_shape_imports_through_the_api_and_enrols(login):
    statistician, investigator = login("statistician"), login("investigator")
    rows = [(code, "B", ("active", "placebo")[i % 2]) for i, code in enumerate(SHAPES)]
    headers = {"Content-Type": "text/csv"}
    preview = statistician.post(
        "/api/v1/randomization/lists/preview", data=_spreadsheet_csv(rows), headers=headers
    )
    assert preview.status_code == 200, preview.json
    assert preview.json == {
        "rows": 4, "importable": True, "problems": {},
        "strata": [{"stratum": "B", "rows": 4, "arms": {"active": 2, "placebo": 2}}],
    }  # fmt: skip
    imported = statistician.post(
        "/api/v1/randomization/lists/import", data=_spreadsheet_csv(rows), headers=headers
    )
    assert imported.status_code == 201, imported.json
    enrolled = [
        investigator.post("/api/v1/participants", json={"participant_id": f"S-{n}", "stratum": "B"}).json
        for n in range(4)
    ]
    assert [e["randomization_code"] for e in enrolled] == SHAPES


def test_the_pharmacy_finds_a_code_however_it_is_typed_and_answers_it_as_the_list_wrote_it(login, browse):
    statistician, investigator, pharmacist = login("statistician"), login("investigator"), login("pharmacist")
    rows = [(code, "C", ("active", "placebo")[i % 2]) for i, code in enumerate(SHAPES)]
    csv_body = {"data": _spreadsheet_csv(rows), "headers": {"Content-Type": "text/csv"}}
    imported = statistician.post("/api/v1/randomization/lists/import", **csv_body)
    assert imported.status_code == 201, imported.json
    for n in range(4):
        investigator.post("/api/v1/participants", json={"participant_id": f"T-{n}", "stratum": "C"})
    for typed in ("umsis/B/12", "UMSIS/b/12", " umsis/b/12 "):
        plan = pharmacist.get("/api/v1/doses/plan", query_string={"randomization_code": typed})
        assert plan.status_code == 200, plan.json
        assert plan.json["randomization_code"] == "umsis/B/12"
    page = browse("pharmacist").get("/pharmacy/prepare/ua0011")
    assert page.status_code == 200
    assert "UA0011" in page.get_data(as_text=True)


def test_the_preview_names_every_problem_by_line_and_a_case_twin_of_a_stored_code_is_refused(login):
    statistician = login("statistician")
    headers = {"Content-Type": "text/csv"}
    first = list_csv([("UA0011", "A", "active"), ("UA0012", "A", "placebo")])
    assert (
        statistician.post("/api/v1/randomization/lists/import", data=first, headers=headers).status_code
        == 201
    )
    bad = list_csv([("ua0011", "A", "active"), ("S3 017", "A", "placebo"), ("x1", "Q", "active")])
    preview = statistician.post("/api/v1/randomization/lists/preview", data=bad, headers=headers)
    assert preview.status_code == 200
    assert preview.json["importable"] is False
    assert "already stored" in preview.json["problems"]["line 2"][0]
    assert "1–32 letters" in preview.json["problems"]["line 3"][0]
    assert "unknown stratum" in preview.json["problems"]["line 4"][0]
    refused = statistician.post("/api/v1/randomization/lists/import", data=bad, headers=headers)
    assert refused.status_code == 422
    assert set(refused.json["error"]["details"]) == {"line 2", "line 3", "line 4"}


def test_a_study_may_narrow_the_code_pattern(app, runner, tmp_path):
    definition = json.loads(Path("tracker/studies/definitions/umsis.json").read_text(encoding="utf-8"))
    definition["code"] = "umsis-narrow"
    definition["randomization"] = {"code_pattern": r"UA\d{4}"}
    path = tmp_path / "narrow.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    loaded = runner.invoke(args=["study", "load", str(path)])
    assert loaded.exit_code == 0, loaded.output
    refused = tmp_path / "refused.csv"
    refused.write_bytes(list_csv([("UA0011", "A", "active"), ("S3-017", "A", "placebo")]))
    result = runner.invoke(args=["randomization", "import", str(refused)])
    assert result.exit_code == 1
    assert "line 3: code 'S3-017' does not match the study's code pattern" in result.output
    assert _codes(app) == []


def test_an_exported_list_whose_code_begins_with_a_dash_is_neutralised_and_still_verifies(
    app, runner, tmp_path, login
):
    rows = [("-17", "A", "active"), ("umsis/B/12", "A", "placebo")]
    import_list(runner, tmp_path, rows)
    exported = login("statistician").get("/api/v1/randomization/lists/1/export.csv")
    assert exported.status_code == 200
    text = exported.get_data(as_text=True)
    assert "'-17,A,active" in text.splitlines()
    path = tmp_path / "exported.csv"
    path.write_bytes(exported.data)
    verified = runner.invoke(args=["randomization", "verify", str(path)])
    assert verified.exit_code == 0, verified.output


# ---- participant IDs --------------------------------------------------------------------------------------


def test_a_participant_id_is_one_participant_whatever_its_case_or_padding(app, login, runner, tmp_path):
    import_list(runner, tmp_path, list_rows(per_stratum=2, strata="A"))
    investigator, nurse = login("investigator"), login("nurse")
    first = investigator.post("/api/v1/participants", json={"participant_id": " UMSIS-300 ", "stratum": "A"})
    assert first.status_code == 201
    assert first.json["participant_id"] == "UMSIS-300"  # trimmed, kept as first enrolled
    again = investigator.post("/api/v1/participants", json={"participant_id": "umsis-300", "stratum": "A"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "participant_exists"
    assert _participants(app) == 1
    for asked in ("umsis-300", "Umsis-300", "UMSIS-300"):
        for client in (investigator, nurse):
            found = client.get(f"/api/v1/participants/{asked}")
            assert found.status_code == 200, (asked, found.json)
            assert found.json["participant_id"] == "UMSIS-300"


def test_a_participant_enrolled_in_lower_case_is_scanned_and_infused_however_the_wristband_is_cased(
    app, trial, runner, tmp_path
):
    import_list(runner, tmp_path, [(code := fresh_code(), "A", "placebo")])
    enrolled = trial.investigator.post(
        "/api/v1/participants", json={"participant_id": "umsis-301", "stratum": "A"}
    )
    assert enrolled.status_code == 201
    assert enrolled.json["randomization_code"] == code
    bag = trial.prepare(code, "placebo")
    move(trial, bag["bag_id"], "dispatch", "receive")
    matched = scan(trial, bag["qr_payload"] + "\r\n", " UMSIS-301\r\n")
    assert matched.status_code == 200, matched.json
    assert matched.json["participant_id"] == "umsis-301"
    other_pid, _ = trial.of_arm("active")[0]
    wrong = scan(trial, bag["qr_payload"], other_pid.lower())
    assert wrong.status_code == 409
    assert wrong.json["error"]["code"] == "wrong_participant"
    infused = start(trial, bag["bag_id"], "Umsis-301")
    assert infused.status_code == 201, infused.json
    assert infused.json["participant_id"] == "umsis-301"
    twice = scan(trial, bag["qr_payload"], "UMSIS-301")
    assert twice.json["error"]["code"] == "already_infused"
    shown = trial.nurse.get("/api/v1/participants/UMSIS-301").json
    assert shown["infusion"]["infusion_id"] == infused.json["infusion_id"]
    record = trial.investigator.get("/api/v1/participants/UMSIS-301/record.pdf")
    assert record.status_code == 200


# ---- files that are safe to open --------------------------------------------------------------------------


def _cells(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _unsafe(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS)]


def test_every_export_neutralises_the_formulas_fed_to_it(app, trial, runner, tmp_path, login):
    formula = '=HYPERLINK("http://evil.example/","x")'
    import_list(runner, tmp_path, [("-17", "A", "placebo")])
    enrolled = trial.investigator.post(
        "/api/v1/participants", json={"participant_id": "P-900", "stratum": "A"}
    )
    assert enrolled.json["randomization_code"] == "-17"
    voided = trial.prepare("-17", "placebo")
    assert (
        trial.pharmacist.post(f"/api/v1/bags/{voided['bag_id']}/void", json={"reason": formula}).status_code
        == 200
    )
    pid, code = trial.of_arm("placebo")[0]
    bag = trial.prepare(code, "placebo")
    print_label(trial.pharmacist, bag["bag_id"])
    dispatched = handoff(
        trial.pharmacist, bag["bag_id"], "dispatch", location="@SUM(1+1)", note="+cmd|' /C calc'!A0"
    )
    assert dispatched.status_code == 201, dispatched.json
    assert handoff(trial.nurse, bag["bag_id"], "receive", location="@SUM(1+1)").status_code == 201
    infusion = start(trial, bag["bag_id"], pid, note="-2+3")
    assert infusion.status_code == 201
    reaction = trial.nurse.post(
        f"/api/v1/infusions/{infusion.json['infusion_id']}/adverse-events",
        json={"onset_at": dt.datetime.now(dt.UTC).isoformat(), "description": "=1+2 rash", "grade": 1,
              "serious": False, "actions_taken": ["treated"], "treatment": "@antihistamine"},
    )  # fmt: skip
    assert reaction.status_code == 201, reaction.json
    raised = trial.nurse.post(
        "/api/v1/deviations", json={"title": "+seal", "description": formula, "category": "other"}
    )
    assert raised.status_code == 201, raised.json
    broken = trial.investigator.post(
        f"/api/v1/participants/{pid}/unblind", json={"reason": "\t=1+1 SAE", "password": PASSWORD}
    )
    assert broken.status_code == 200, broken.json
    qa, statistician, admin = trial.qa, login("statistician"), login("admin")
    gmp = login("gmp")
    unit = {"unit_id": "FR-9", "name": "=cmd|' /C calc'!A0", "kind": "fridge_2_8", "location": "+Pharmacy"}
    assert gmp.post("/api/v1/storage-units", json=unit).status_code == 201
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    reading = {"readings": [{"at": at, "temperature_c": 5}]}
    assert gmp.post("/api/v1/storage-units/FR-9/readings", json=reading).status_code == 201
    kit = []
    for lot, material in (("UC-FORM", "ucmsc"), ("VEH-FORM", "placebo")):
        kit.append(passing_lot(gmp, lot, material)["containers"][0]["container_id"])
        signed = qa.post(f"/api/v1/lots/{lot}/release", json={"password": PASSWORD, "meaning": "ok"})
        assert signed.status_code == 200, signed.json
    add_site(login, "SITE-02")
    plan = {
        "destination_site": "site-02",
        "container_ids": kit,
        "courier": "=cmd|' /C calc'!A0",
        "tracking_number": "@SUM(1)",
    }
    shipment = gmp.post("/api/v1/shipments", json=plan)
    assert shipment.status_code == 201, shipment.json
    sid = shipment.json["shipment_id"]
    renamed = admin.patch("/api/v1/sites/SITE-01", json={"name": "@GMP lab"})  # the stock report names it
    assert renamed.status_code == 200, renamed.json
    exports = {
        "shipment receipt": _cells(qa.get(f"/api/v1/shipments/{sid}/receipt.csv")),
        "audit": _cells(qa.get("/api/v1/audit/export.csv")),
        "code-breaks": _cells(admin.get("/api/v1/reports/code-breaks.csv")),
        "accountability (qa)": _cells(qa.get("/api/v1/reports/accountability.csv")),
        "accountability (pharmacist)": _cells(trial.pharmacist.get("/api/v1/reports/accountability.csv")),
        "sdtm": _cells(statistician.get("/api/v1/exports/sdtm-ex.csv")),
        "sdtm ae": _cells(statistician.get("/api/v1/exports/sdtm-ae.csv")),
        "adverse events": _cells(qa.get("/api/v1/reports/adverse-events.csv")),
        "deviations": _cells(qa.get("/api/v1/reports/deviations.csv")),
        "randomization": _cells(statistician.get("/api/v1/randomization/lists/2/export.csv")),
        "temperatures": _cells(gmp.get("/api/v1/reports/storage-units/FR-9/temperatures.csv")),
        "time out of range": _cells(qa.get("/api/v1/reports/time-out-of-range.csv")),
        "stock by site": _cells(gmp.get("/api/v1/reports/stock-by-site.csv")),
    }
    for name, rows in exports.items():
        assert _unsafe(rows) == [], name
    # The code-break's reason, as stored (trimmed), with the leading ' that keeps it text.
    assert any("'=1+1 SAE" in row for row in exports["audit"])
    assert ["'-17", "A", "placebo"] in exports["randomization"]
    assert any("'=1+1 SAE" in row for row in exports["code-breaks"])
    assert any("'@SUM(1+1)" in row for row in exports["accountability (qa)"])
    assert any("'-17" in row for row in exports["accountability (pharmacist)"])
    assert any("'=1+2 rash" in row for row in exports["sdtm ae"])
    assert any("'@antihistamine" in row for row in exports["adverse events"])
    assert any("'+seal" in row for row in exports["deviations"])
    assert any("'=cmd|' /C calc'!A0" in row for row in exports["temperatures"])
    assert any("'=cmd|' /C calc'!A0" in row for row in exports["time out of range"])
    assert any("'=cmd|' /C calc'!A0" in row for row in exports["shipment receipt"])
    assert any("'@SUM(1)" in row for row in exports["shipment receipt"])
    assert any("'@GMP lab" in row for row in exports["stock by site"])


def test_no_module_writes_csv_but_through_the_one_safe_writer():
    package = Path("tracker")
    writers = [
        str(path)
        for path in package.rglob("*.py")
        if path.name != "csvwriter.py"
        and re.search(r"csv\.(writer|DictWriter)\b", path.read_text(encoding="utf-8"))
    ]
    assert writers == []


# ---- requests ------------------------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_415_on_a_json_route(login):
    gmp = login("gmp")
    response = gmp.post(
        "/api/v1/lots", data=json.dumps({"lot_number": "X"}), headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("depth", [65, 50_000])
def test_json_nested_deeper_than_64_levels_is_400(client, depth):
    body = '{"username": ' + "[" * depth + "]" * depth + ', "password": "x"}'
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"
    assert "64" in response.json["error"]["message"]


def test_json_nested_64_levels_is_read(client):
    body = '{"username": "u", "password": "p", "x": ' + "[" * 63 + "]" * 63 + "}"
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 422  # read, then refused for the unknown field: not a 400
    assert "x" in response.json["error"]["details"]


def test_control_characters_in_text_are_refused_but_tab_and_newline_are_text(trial):
    bag = trial.prepare(trial.of_arm("active")[0][1], "active")
    print_label(trial.pharmacist, bag["bag_id"])
    nul = handoff(trial.pharmacist, bag["bag_id"], "dispatch", location="Ward\x005")
    assert nul.status_code == 422
    assert list(nul.json["error"]["details"]) == ["location"]
    bell = handoff(trial.pharmacist, bag["bag_id"], "dispatch", note="ok\x07")
    assert bell.status_code == 422
    assert trial.pharmacist.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "prepared"
    fine = handoff(trial.pharmacist, bag["bag_id"], "dispatch", note="line one\n\tline two")
    assert fine.status_code == 201, fine.json


# ---- ward and pharmacy safety -----------------------------------------------------------------------------


def test_a_bag_whose_label_was_never_printed_cannot_be_dispatched(trial):
    bag = trial.prepare(trial.of_arm("active")[0][1], "active")
    refused = trial.pharmacist.post(
        f"/api/v1/bags/{bag['bag_id']}/handoffs", json={"action": "dispatch", "location": WARD}
    )
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "label_not_printed"
    assert trial.pharmacist.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "prepared"
    print_label(trial.pharmacist, bag["bag_id"])
    assert handoff(trial.pharmacist, bag["bag_id"], "dispatch").status_code == 201


@pytest.mark.parametrize(
    ("condition", "missing"),
    [({}, {"temperature_c", "seal_intact"}), ({"seal_intact": True}, {"temperature_c"}),
     ({"temperature_c": 5}, {"seal_intact"})],
)  # fmt: skip
def test_a_receipt_needs_temperature_and_seal_when_the_study_sets_a_transport_range(
    trial, condition, missing
):
    bag = trial.prepare(trial.of_arm("placebo")[0][1], "placebo")
    move(trial, bag["bag_id"], "dispatch")
    refused = trial.nurse.post(
        f"/api/v1/bags/{bag['bag_id']}/handoffs", json={"action": "receive", "location": WARD, **condition}
    )
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "temperature_required"
    assert set(refused.json["error"]["details"]) == missing
    assert trial.nurse.get(f"/api/v1/bags/{bag['bag_id']}").json["status"] == "dispatched"
    received = trial.nurse.post(
        f"/api/v1/bags/{bag['bag_id']}/handoffs", json={"action": "receive", "location": WARD, **GOOD_RECEIPT}
    )
    assert received.status_code == 201


def test_the_code_break_answer_says_whether_the_participant_was_infused(trial):
    never, _ = trial.of_arm("active")[1]
    answer = trial.investigator.post(
        f"/api/v1/participants/{never.lower()}/unblind", json={"reason": "SAE", "password": PASSWORD}
    )
    assert answer.status_code == 200
    assert answer.json["infused"] is False
    assert answer.json["participant_id"] == never
    pid, code = trial.of_arm("placebo")[0]
    bag = trial.prepare(code, "placebo")
    move(trial, bag["bag_id"], "dispatch", "receive")
    assert start(trial, bag["bag_id"], pid).status_code == 201
    infused = trial.investigator.post(
        f"/api/v1/participants/{pid}/unblind", json={"reason": "SAE", "password": PASSWORD}
    )
    assert infused.json["infused"] is True
    assert infused.json["arm"] == "placebo"


# ---- the migration ----------------------------------------------------------------------------------------


@pytest.fixture
def database_before_site_data(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url, name = _create_postgres_database(base)
    else:
        url = f"sqlite:///{tmp_path / 'before-site-data.db'}"
    engine = make_engine(url)
    with engine.connect().execution_options(write=True) as conn:
        command.upgrade(alembic_config(conn), "0012_accounts")
        conn.commit()
    yield engine
    engine.dispose()
    if base:
        _drop_postgres_database(base, name)


def _enrolled_before(engine, participant_ids: list[str]) -> None:
    now = dt.datetime(2026, 11, 1, 8, 0)
    with engine.connect().execution_options(write=True) as conn:
        conn.execute(
            text(
                "INSERT INTO randomization_list (id, source, salt, commitment, code_count, created_at, "
                "created_by) VALUES (1, 'imported', 's', 'c', :n, :at, 'stat')"
            ),
            {"n": len(participant_ids), "at": now},
        )
        for n, participant_id in enumerate(participant_ids, start=1):
            conn.execute(
                text(
                    "INSERT INTO randomization_code (id, code, list_id, position, stratum) "
                    "VALUES (:n, :code, 1, :n, 'A')"
                ),
                {"n": n, "code": f"R00000{n}"},
            )
            conn.execute(
                text(
                    "INSERT INTO participant (id, participant_id, stratum, randomization_code, "
                    "randomized_at, enrolled_by) VALUES (:n, :pid, 'A', :code, :at, 'inv')"
                ),
                {"n": n, "pid": participant_id, "code": f"R00000{n}", "at": now},
            )
        conn.commit()


def _revision(engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def test_the_migration_refuses_ids_differing_only_by_case_and_names_them(database_before_site_data):
    _enrolled_before(database_before_site_data, ["UMSIS-300", "P-1", "umsis-300"])
    named = r"participant IDs that differ only by case: UMSIS-300, umsis-300\."
    with pytest.raises(RuntimeError, match=named):
        migrate(database_before_site_data)
    assert _revision(database_before_site_data) == {"0012_accounts"}  # nothing was changed


def test_the_migration_widens_codes_and_makes_ids_unique_regardless_of_case(database_before_site_data):
    _enrolled_before(database_before_site_data, ["UMSIS-300", "P-1"])
    assert migrate(database_before_site_data)
    # Migrated to the head, through the site data revision and any that came after it.
    assert _revision(database_before_site_data) == {
        ScriptDirectory.from_config(alembic_config()).get_current_head()
    }
    with database_before_site_data.connect().execution_options(write=True) as conn:
        conn.execute(
            text(
                "INSERT INTO randomization_code (id, code, list_id, position, stratum) "
                "VALUES (9, :code, 1, 9, 'A')"
            ),
            {"code": "umsis/B/12-" + "x" * 21},  # 32 characters
        )
        with pytest.raises(IntegrityError):
            conn.execute(
                text(
                    "INSERT INTO participant (id, participant_id, stratum, randomization_code, "
                    "randomized_at, enrolled_by) VALUES (9, 'umsis-300', 'A', :code, :at, 'inv')"
                ),
                {"code": "umsis/B/12-" + "x" * 21, "at": dt.datetime(2026, 11, 2)},
            )
        conn.rollback()


# ---- times as people type them ----------------------------------------------------------------------------


def test_the_audit_search_takes_dates_as_well_as_full_times(app, login, browse):
    qa = login("qa")
    today = dt.datetime.now(dt.UTC).date()
    yesterday = today - dt.timedelta(days=1)
    todays = qa.get(f"/api/v1/audit?since={today}&until={today}").json["events"]
    assert todays  # the users created just now
    assert qa.get(f"/api/v1/audit?since={yesterday}&until={yesterday}").json["events"] == []
    assert qa.get(f"/api/v1/audit?since={today}T00:00:00%2B00:00").json["events"] == todays
    refused = qa.get("/api/v1/audit?since=02/12/2026")
    assert refused.status_code == 422
    assert "give a date such as 2026-12-02" in refused.json["error"]["details"]["since"][0]
    page = browse("qa").get("/audit?since=02/12/2026&entity_type=user")
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert 'value="02/12/2026"' in text  # the form keeps what was typed
    assert "Enter a date, e.g. 2026-12-03, or a date and time" in text  # the page says it in its words
