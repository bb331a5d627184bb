"""The command line as a site runs it."""

import json

from sqlalchemy import func, select

from tracker.studies.models import Study
from tracker.users.models import User
from tracker.web.context import reader


def _count(app, model):
    with app.app_context(), reader() as work:
        return work.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_init_db_twice_is_harmless(runner):
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "Database ready" in result.output


def test_user_add_reads_the_password_from_stdin(runner, client):
    result = runner.invoke(args=["user", "add", "wang.li", "--role", "nurse"], input="Ward-Password-7\n")
    assert result.exit_code == 0, result.output
    token = client.post("/api/v1/auth/token", json={"username": "wang.li", "password": "Ward-Password-7"})
    assert token.status_code == 200
    assert token.json["role"] == "nurse"


def test_user_add_refuses_a_weak_password_and_stores_nothing(app, runner):
    result = runner.invoke(args=["user", "add", "weak", "--role", "qa"], input="short\n")
    assert result.exit_code != 0
    assert "password" in result.output
    assert _count(app, User) == 0


def test_user_add_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["user", "add", "x", "--role", "wizard"], input="Ward-Password-7\n")
    assert result.exit_code != 0


def test_user_add_twice_is_refused(runner):
    assert (
        runner.invoke(args=["user", "add", "dup", "--role", "qa"], input="Ward-Password-7\n").exit_code == 0
    )
    result = runner.invoke(args=["user", "add", "dup", "--role", "qa"], input="Ward-Password-7\n")
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_study_load_umsis_is_idempotent(app, runner):
    result = runner.invoke(args=["study", "load", "umsis"])
    assert result.exit_code == 0, result.output
    assert "umsis" in result.output
    assert _count(app, Study) == 1


def test_a_bad_study_definition_names_the_field_and_stores_nothing(app, runner, tmp_path):
    from tracker.studies.services import SHIPPED

    raw = json.loads((SHIPPED / "umsis.json").read_text())
    raw["dose"]["final_volume_ml"] = -5
    del raw["label"]["route"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw))
    result = runner.invoke(args=["study", "load", str(bad)])
    assert result.exit_code != 0
    assert "final_volume_ml" in result.output
    assert "route" in result.output
    assert _count(app, Study) == 1


def test_a_missing_study_file_is_a_clear_error(runner):
    result = runner.invoke(args=["study", "load", "/nonexistent/study.json"])
    assert result.exit_code != 0
    assert "No study definition" in result.output


def test_demo_prints_each_role_once_with_a_password(runner, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.strip().startswith("demo_qa"))
    password = line.split()[-1]
    assert (
        client.post("/api/v1/auth/token", json={"username": "demo_qa", "password": password}).status_code
        == 200
    )
    assert "open http://127.0.0.1:5000/ and sign in" in result.output
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert password not in again.output
