"""Randomization lists through the command line and the statistician's API: load whole or not at all,
commit to a SHA-256, verify, and never print an arm where it is not allowed."""

import hashlib
import io
import json

import pytest
from sqlalchemy import func, select

from tests.integration.randomization_support import fresh_code, import_list, list_csv, list_rows
from tracker.randomization.models import RandomizationCode, RandomizationList
from tracker.randomization.rules import ListRow, commitment_bytes
from tracker.web.context import reader


def _stored(app):
    with app.app_context(), reader() as work:
        lists = work.session.execute(select(func.count()).select_from(RandomizationList)).scalar_one()
        codes = work.session.execute(select(func.count()).select_from(RandomizationCode)).scalar_one()
    return lists, codes


def _cli_import(runner, tmp_path, data: bytes, name="list.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(args=["randomization", "import", str(path)])


def test_import_loads_a_list_and_prints_counts_per_stratum_but_no_arm(app, runner, tmp_path):
    result = _cli_import(runner, tmp_path, list_csv(list_rows(per_stratum=4)))
    assert result.exit_code == 0, result.output
    assert "20 codes" in result.output
    assert "stratum A: 4 codes" in result.output
    assert "active" not in result.output
    assert "placebo" not in result.output
    assert _stored(app) == (1, 20)


def test_import_appends_a_second_list_after_the_first(app, runner, tmp_path):
    import_list(runner, tmp_path, list_rows(2))
    import_list(runner, tmp_path, list_rows(2))
    assert _stored(app) == (2, 20)


def _bad_files():
    good = list_rows(2)
    dup = [good[0], *good[1:], (good[0][0], "B", "placebo")]
    return {
        "bad header": (list_csv(good, header="code,stratum,arm"), "line 1", "header"),
        "bad encoding": (
            "randomization_code,stratum,arm\nRAAAAA2,A,active\nRÄÄÄÄÄ3,A,placebo\n".encode("latin-1"),
            "file",
            "UTF-8",
        ),
        "unknown stratum": (list_csv([*good, (fresh_code(), "F", "active")]), "line 12", "unknown stratum"),
        "unknown arm": (list_csv([*good, (fresh_code(), "A", "ucmsc")]), "line 12", "unknown arm"),
        "duplicate code in file": (list_csv(dup), "line 12", "repeats line 2"),
        "empty file": (b"", "file", "empty"),
        "header only": (b"randomization_code,stratum,arm\n", "file", "no rows"),
        "short row": (list_csv(good) + b"RZZZZZ9,A\n", "line 12", "fields"),
        "bad code format": (list_csv([*good, ("S3 017", "A", "active")]), "line 12", "not 1–32 letters"),
        "code too long": (list_csv([*good, ("U" * 33, "A", "active")]), "line 12", "not 1–32 letters"),
        "code twice but for case": (
            list_csv([*good, (good[0][0].lower(), "A", "active")]),
            "line 12",
            "regardless of case",
        ),
    }


@pytest.mark.parametrize("kind", sorted(_bad_files()))
def test_import_refuses_a_bad_list_whole_and_stores_nothing(app, runner, tmp_path, kind):
    data, where, words = _bad_files()[kind]
    result = _cli_import(runner, tmp_path, data)
    assert result.exit_code == 1
    assert f"{where}:" in result.output
    assert words in result.output
    assert "nothing was stored" in result.output
    assert _stored(app) == (0, 0)


def test_import_refuses_a_code_already_stored_and_reports_every_bad_line(app, runner, tmp_path):
    first = list_rows(2)
    import_list(runner, tmp_path, first)
    again = [(fresh_code(), "A", "active"), (first[3][0], "A", "placebo"), (fresh_code(), "Q", "active")]
    result = _cli_import(runner, tmp_path, list_csv(again), "second.csv")
    assert result.exit_code == 1
    assert "line 3: code" in result.output
    assert "already stored" in result.output
    assert "line 4: unknown stratum" in result.output
    assert _stored(app) == (1, 10)


def test_generate_prints_the_commitment_and_counts_never_an_arm(app, runner):
    result = runner.invoke(
        args=[
            "randomization",
            "generate",
            "--seed",
            "987654321",
            "--per-stratum",
            "12",
            "--block-sizes",
            "2,4",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "60 codes" in result.output
    for stratum in "ABCDE":
        assert f"stratum {stratum}: 12 codes" in result.output
    assert "active" not in result.output.lower()
    assert "placebo" not in result.output.lower()
    assert "987654321" not in result.output.split("Commitment")[0]  # not even the seed is echoed
    assert len(result.output.split("Commitment (SHA-256): ")[1].strip()) == 64
    assert _stored(app) == (1, 60)


def test_generate_refuses_block_sizes_that_cannot_fill_a_stratum(app, runner):
    result = runner.invoke(args=["randomization", "generate", "--seed", "1", "--per-stratum", "5"])
    assert result.exit_code == 1
    assert "block_sizes" in result.output
    assert _stored(app) == (0, 0)
    odd = runner.invoke(
        args=["randomization", "generate", "--seed", "1", "--per-stratum", "6", "--block-sizes", "3"]
    )
    assert odd.exit_code == 1
    assert "multiple of 2" in odd.output


def test_verify_accepts_the_list_as_loaded_and_refuses_any_change(app, runner, tmp_path):
    rows = list_rows(4)
    path = import_list(runner, tmp_path, rows)
    ok = runner.invoke(args=["randomization", "verify", str(path)])
    assert ok.exit_code == 0, ok.output
    assert "matches list 1" in ok.output
    swapped = list(rows)
    swapped[0], swapped[1] = (rows[0][0], "A", rows[1][2]), (rows[1][0], "A", rows[0][2])
    changed = tmp_path / "changed.csv"
    changed.write_bytes(list_csv(swapped))
    bad = runner.invoke(args=["randomization", "verify", str(changed)])
    assert bad.exit_code == 1
    assert "MISMATCH" in bad.output
    unknown = tmp_path / "unknown.csv"
    unknown.write_bytes(list_csv(list_rows(1)))
    assert runner.invoke(args=["randomization", "verify", str(unknown)]).exit_code == 1


def test_the_commitment_can_be_recomputed_by_anyone_with_the_list_and_salt(runner, tmp_path, login):
    rows = list_rows(3)
    import_list(runner, tmp_path, rows)
    listing = login("statistician").get("/api/v1/randomization/lists").json["items"][0]
    payload = ["tracker-randomization-v1", listing["salt"], [list(r) for r in rows]]
    # What a sponsor's auditor runs: no tracker code involved.
    encoded = json.dumps(payload, separators=(",", ":")).encode()
    assert encoded == commitment_bytes(listing["salt"], [ListRow(*r) for r in rows])
    assert hashlib.sha256(encoded).hexdigest() == listing["commitment"]


def test_the_statistician_generates_by_api_and_sees_arm_counts_per_stratum(login):
    statistician = login("statistician")
    response = statistician.post(
        "/api/v1/randomization/lists", json={"seed": 7, "per_stratum": 8, "block_sizes": [2, 4]}
    )
    assert response.status_code == 201, response.json
    made = response.json
    assert made["code_count"] == 40
    assert made["source"] == "generated"
    assert len(made["commitment"]) == 64
    assert "seed" not in made
    assert [s["stratum"] for s in made["strata"]] == list("ABCDE")
    for stratum in made["strata"]:
        assert stratum["arms"] == {"active": 4, "placebo": 4}
        assert (stratum["total"], stratum["used"]) == (8, 0)
    listed = statistician.get("/api/v1/randomization/lists").json["items"]
    assert [x["commitment"] for x in listed] == [made["commitment"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seed": 1, "per_stratum": 0, "block_sizes": [2]}, "per_stratum"),
        ({"seed": 1, "per_stratum": 6, "block_sizes": [4]}, "block_sizes"),
        ({"seed": -1, "per_stratum": 6, "block_sizes": [2]}, "seed"),
        ({"seed": "x", "per_stratum": 6, "block_sizes": [2]}, "seed"),
        ({"per_stratum": 6, "block_sizes": [2]}, "seed"),
    ],
)
def test_generate_by_api_refuses_bad_settings(app, login, body, field):
    response = login("statistician").post("/api/v1/randomization/lists", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["details"]
    assert _stored(app) == (0, 0)


def test_import_by_api_takes_csv_or_multipart(app, login):
    statistician = login("statistician")
    as_csv = statistician.post(
        "/api/v1/randomization/lists/import",
        data=list_csv(list_rows(2)),
        headers={"Content-Type": "text/csv"},
    )
    assert as_csv.status_code == 201, as_csv.json
    assert as_csv.json["source"] == "imported"

    multipart = statistician.client.post(
        "/api/v1/randomization/lists/import",
        data={"file": (io.BytesIO(list_csv(list_rows(2))), "list.csv")},
        headers={"Authorization": f"Bearer {statistician.token}"},
        content_type="multipart/form-data",
    )
    assert multipart.status_code == 201, multipart.json
    assert _stored(app) == (2, 20)


def test_import_by_api_reports_bad_lines_and_stores_nothing(app, login):
    rows = list_rows(2)
    rows.append((rows[0][0], "A", "active"))
    response = login("statistician").post(
        "/api/v1/randomization/lists/import", data=list_csv(rows), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_list"
    assert "repeats line 2" in response.json["error"]["details"]["line 12"][0]
    assert _stored(app) == (0, 0)


def test_import_by_api_refuses_other_media_and_oversized_files(app, login):
    statistician = login("statistician")
    as_json = statistician.post("/api/v1/randomization/lists/import", json={"rows": []})
    assert as_json.status_code == 415
    huge = b"randomization_code,stratum,arm\n" + b"RAAAAA2,A,active\n" * 70_000
    too_big = statistician.post(
        "/api/v1/randomization/lists/import", data=huge, headers={"Content-Type": "text/csv"}
    )
    assert too_big.status_code == 413
    assert too_big.json["error"]["code"] == "payload_too_large"
    assert _stored(app) == (0, 0)


def test_list_events_carry_the_commitment_but_no_arm_and_hide_block_sizes_from_blinded(runner, login):
    statistician = login("statistician")
    statistician.post(
        "/api/v1/randomization/lists", json={"seed": 3, "per_stratum": 4, "block_sizes": [2, 4]}
    )
    events = login("qa").get("/api/v1/audit?entity_type=randomization_list").json["events"]
    assert [e["action"] for e in events] == ["generate"]
    after = events[0]["after"]
    assert len(after["commitment"]) == 64
    assert "block_sizes" not in after
    text = json.dumps(events).lower()
    assert "active" not in text
    assert "placebo" not in text
    assert "seed" not in text


def test_demo_generates_a_list_and_enrols_participants_printing_codes_not_arms(runner, login):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "commitment" in result.output
    lines = [ln.split() for ln in result.output.splitlines() if ln.strip().startswith("UMSIS-")]
    assert [(ln[0], ln[1]) for ln in lines] == [("UMSIS-001", "A"), ("UMSIS-002", "B"), ("UMSIS-003", "B"),
                                                ("UMSIS-004", "D")]  # fmt: skip
    # Lots print their material; what the randomization part prints must name no arm.
    randomization_part = result.output[result.output.index("Randomization list") :].lower()
    assert "active" not in randomization_part
    assert "placebo" not in randomization_part
    nurse = login("nurse")
    for participant_id, _, code in lines:
        assert nurse.get(f"/api/v1/participants/{participant_id}").json["randomization_code"] == code
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert [ln.split() for ln in again.output.splitlines() if ln.strip().startswith("UMSIS-")] == lines
    assert len(login("statistician").get("/api/v1/randomization/lists").json["items"]) == 1
