"""The statistician generates and imports lists on the list-status page, and exports a list (page, API,
command line) as the CSV that `randomization verify` checks against the stored commitment."""

import csv
import io
import os
import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.integration.randomization_support import fresh_code, list_csv, list_rows
from tests.integration.test_pages import _csrf
from tests.integration.test_randomization_pages import _sign_in
from tracker.randomization.models import RandomizationCode, RandomizationList
from tracker.web.context import reader

SEED = "987654321"


def _stored(app):
    with app.app_context(), reader() as work:
        lists = work.session.execute(select(func.count()).select_from(RandomizationList)).scalar_one()
        codes = work.session.execute(select(func.count()).select_from(RandomizationCode)).scalar_one()
    return lists, codes


def _token(client):
    return _csrf(client.get("/randomization").data)


def _generate(client, **fields):
    form = {"seed": SEED, "per_stratum": "8", "block_sizes": "2,4", **fields}
    return client.post("/randomization/generate", data={**form, "csrf_token": _token(client)})


def _upload(client, data: bytes, name="list.csv"):
    # Encoded by hand: the test client would spool a large upload to a temporary file it never closes.
    boundary = "----list-upload-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{_token(client)}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/randomization/import", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


def test_the_statistician_generates_a_list_on_the_page(app, client, make_user, login):
    _sign_in(client, make_user, "statistician")
    page = client.get("/randomization").get_data(as_text=True)
    assert 'action="/randomization/generate"' in page
    assert 'enctype="multipart/form-data"' in page
    response = _generate(client)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "List 1 generated: 40 codes." in text
    listed = login("statistician").get("/api/v1/randomization/lists").json["items"]
    assert [(item["source"], item["code_count"]) for item in listed] == [("generated", 40)]
    assert listed[0]["commitment"] in text
    assert SEED not in text  # the seed is not echoed into the page
    assert _stored(app) == (1, 40)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"block_sizes": "3"}, "Block sizes (comma-separated)"),
        ({"block_sizes": "2,x"}, "Block sizes (comma-separated)"),
        ({"per_stratum": "many"}, "Codes per stratum"),
        ({"per_stratum": "7", "block_sizes": "4"}, "Block sizes (comma-separated)"),
        ({"seed": "-1"}, "Seed"),
    ],
)
def test_bad_generate_settings_on_the_page_are_named_and_store_nothing(
    app, client, make_user, fields, problem
):
    _sign_in(client, make_user, "statistician")
    response = _generate(client, **fields)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert f"<strong>{problem}</strong>" in text  # the field by its label on the form
    assert SEED not in text
    assert _stored(app) == (0, 0)


def _commit_previewed(client, page: str):
    data = re.search(r'name="list_data" value="([^"]+)"', page).group(1)
    return client.post(
        "/randomization/import", data={"csrf_token": _token(client), "step": "commit", "list_data": data}
    )


def test_the_statistician_previews_then_imports_a_list_file_on_the_page(app, client, make_user):
    _sign_in(client, make_user, "statistician")
    rows = list_rows(per_stratum=2)
    preview = _upload(client, list_csv(rows))
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "10 rows read. Nothing is stored until you commit." in page
    for stratum in "ABCDE":
        arms = Counter(arm for _code, s, arm in rows if s == stratum)
        shown = " · ".join(f"{arm} {n}" for arm, n in sorted(arms.items()))
        assert f'<tr><th scope="row">{stratum}</th><td>2</td><td>{shown}</td></tr>' in page
    assert _stored(app) == (0, 0)
    response = _commit_previewed(client, page)
    assert response.status_code == 200
    assert "List 1 imported: 10 codes." in response.get_data(as_text=True)
    assert _stored(app) == (1, 10)


def test_a_bad_list_file_on_the_page_is_refused_whole_with_every_problem_by_line(app, client, make_user):
    _sign_in(client, make_user, "statistician")
    rows = list_rows(per_stratum=2)
    bad = [*rows[:2], (fresh_code(), "Q", "active"), *rows[2:], (rows[0][0], "A", "placebo")]
    response = _upload(client, list_csv(bad))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "The file cannot be imported" in text
    assert 'name="list_data"' not in text  # nothing to commit
    assert "<strong>line 4</strong>: unknown stratum &#39;Q&#39;" in text
    assert f"<strong>line 13</strong>: code {rows[0][0]} repeats line 2" in text
    assert _stored(app) == (0, 0)


def test_an_oversized_or_missing_list_file_on_the_page_is_refused(app, client, make_user):
    _sign_in(client, make_user, "statistician")
    big = list_csv(list_rows(per_stratum=2)) + b"#" * (1024 * 1024)
    too_large = _upload(client, big)
    assert too_large.status_code == 413
    assert "larger than 1024 KiB" in too_large.get_data(as_text=True)
    missing = client.post(
        "/randomization/import", data={"csrf_token": _token(client)}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422
    assert "Choose the list file" in missing.get_data(as_text=True)
    assert _stored(app) == (0, 0)


def test_the_list_forms_need_their_csrf_token(app, client, make_user):
    _sign_in(client, make_user, "statistician")
    response = client.post(
        "/randomization/generate", data={"seed": "1", "per_stratum": "2", "block_sizes": "2"}
    )
    assert response.status_code == 400
    assert _stored(app) == (0, 0)


# --- export, then verify ----------------------------------------------------------------------------


@pytest.fixture
def generated(login):
    statistician = login("statistician")
    made = statistician.post(
        "/api/v1/randomization/lists", json={"seed": 11, "per_stratum": 6, "block_sizes": [2, 6]}
    )
    assert made.status_code == 201
    return made.json


def _export_cli(
    runner, make_user, tmp_path, role="statistician", password=PASSWORD, list_id=1, name="out.csv"
):
    user = make_user(role)
    path = tmp_path / name
    result = runner.invoke(
        args=["randomization", "export", str(list_id), str(path), "--user", user], input=password + "\n"
    )
    return result, path


def test_a_generated_list_exported_by_the_command_line_verifies(
    runner, make_user, tmp_path, login, generated
):
    result, path = _export_cli(runner, make_user, tmp_path)
    assert result.exit_code == 0, result.output
    assert os.stat(path).st_mode & 0o777 == 0o600
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == ["randomization_code", "stratum", "arm"]
    assert len(rows) == 1 + generated["code_count"]
    verified = runner.invoke(args=["randomization", "verify", str(path)])
    assert verified.exit_code == 0, verified.output
    assert generated["commitment"] in verified.output
    events = login("qa").get("/api/v1/audit?entity_type=randomization_list&entity_id=1").json["events"]
    export = [e for e in events if e["action"] == "export"]
    assert len(export) == 1
    assert export[0]["after"] == {"commitment": generated["commitment"], "codes": 30}
    assert "active" not in str(export[0])
    assert "placebo" not in str(export[0])


def test_an_exported_list_with_one_arm_changed_no_longer_verifies(runner, make_user, tmp_path, generated):
    _, path = _export_cli(runner, make_user, tmp_path)
    lines = path.read_text().splitlines()
    code, stratum, arm = lines[1].split(",")
    lines[1] = ",".join([code, stratum, "placebo" if arm == "active" else "active"])
    forged = tmp_path / "forged.csv"
    forged.write_text("\n".join(lines) + "\n")
    verified = runner.invoke(args=["randomization", "verify", str(forged)])
    assert verified.exit_code == 1
    assert "MISMATCH" in verified.output


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"role": "pharmacist"}, "Only the statistician"),
        ({"role": "investigator"}, "Only the statistician"),
        ({"password": "not-it"}, "password is wrong"),
        ({"list_id": 7}, "No randomization list 7"),
    ],
)
def test_the_export_command_is_for_the_statistician_with_their_password(
    runner, make_user, tmp_path, login, generated, kwargs, words
):
    result, path = _export_cli(runner, make_user, tmp_path, **kwargs)
    assert result.exit_code == 1
    assert words in result.output
    assert not path.exists()
    events = login("qa").get("/api/v1/audit?entity_type=randomization_list").json["events"]
    assert [e for e in events if e["action"] == "export"] == []


def test_the_export_command_never_overwrites_a_file(runner, make_user, tmp_path, generated):
    (tmp_path / "out.csv").write_text("keep me\n")
    result, path = _export_cli(runner, make_user, tmp_path)
    assert result.exit_code == 1
    assert "exists" in result.output
    assert path.read_text() == "keep me\n"


def test_the_api_and_the_page_export_the_same_verifiable_file(
    runner, client, make_user, tmp_path, login, generated
):
    api = login("statistician").get("/api/v1/randomization/lists/1/export.csv")
    assert api.status_code == 200
    assert api.mimetype == "text/csv"
    assert api.headers["Cache-Control"] == "no-store"
    _sign_in(client, make_user, "statistician")
    assert "/randomization/lists/1/export.csv" in client.get("/randomization").get_data(as_text=True)
    page = client.get("/randomization/lists/1/export.csv")
    assert page.status_code == 200
    assert page.data == api.data
    path = tmp_path / "from-api.csv"
    path.write_bytes(api.data)
    assert runner.invoke(args=["randomization", "verify", str(path)]).exit_code == 0
    assert login("statistician").get("/api/v1/randomization/lists/99/export.csv").status_code == 404
    assert login("statistician").get("/api/v1/randomization/lists/x1/export.csv").status_code == 404
