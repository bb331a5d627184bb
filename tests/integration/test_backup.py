"""Backup and restore round-trip a populated database, table by table, and the audit chain still verifies;
a backup is private, and a broken one is refused before anything is replaced."""

import secrets
import stat

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from tracker import create_app
from tracker.models import Base
from tracker.web.context import reader


def _snapshot(app):
    with app.app_context(), reader() as work:
        return {
            table.name: sorted(
                tuple(str(v) for v in row) for row in work.session.execute(select(table)).all()
            )
            for table in Base.metadata.sorted_tables
        }


def test_a_backup_restores_every_table_and_the_chain_verifies(app, runner, login, make_user, tmp_path):
    qa = login("qa")
    make_user("nurse")
    qa.get("/api/v1/audit")
    before = _snapshot(app)
    path = tmp_path / "tracker.backup"

    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0

    make_user("gmp")  # a change after the backup, which the restore must undo
    assert _snapshot(app) != before

    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
    assert _snapshot(app) == before


def test_restore_asks_for_confirmation_and_changes_nothing_without_it(app, runner, make_user, tmp_path):
    make_user("qa")
    path = tmp_path / "b.backup"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    make_user("nurse")
    before = _snapshot(app)
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 2
    assert "--yes" in result.output
    assert _snapshot(app) == before


def test_a_backup_never_overwrites_a_file(runner, tmp_path):
    path = tmp_path / "exists.backup"
    path.write_text("keep me")
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert path.read_text() == "keep me"


def test_a_backup_is_readable_by_its_owner_only(runner, make_user, tmp_path):
    make_user("qa")
    path = tmp_path / "private.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "owner only" in result.output


def _set_username(app, seq: int, username: str) -> None:
    engine = app.extensions["tracker"].engine
    with engine.connect().execution_options(write=True) as conn:
        conn.execute(text("UPDATE audit_event SET username = :u WHERE seq = :s"), {"u": username, "s": seq})
        conn.commit()


def test_a_broken_backup_is_refused_and_the_live_database_is_untouched(app, runner, make_user, tmp_path):
    make_user("qa", "qa_one")
    make_user("nurse", "nurse_one")
    path = tmp_path / "broken.backup"
    # A backup taken while someone had edited the trail: it carries the edit.
    _set_username(app, 2, "mallory")
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    _set_username(app, 2, "system")
    make_user("gmp", "gmp_after_the_backup")
    before = _snapshot(app)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code != 0
    assert "was not restored" in result.output
    assert "seq 2 of the sealed chain" in result.output
    assert "live database was not touched" in result.output
    assert _snapshot(app) == before
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_a_file_that_is_no_backup_is_refused(app, runner, make_user, tmp_path):
    make_user("qa")
    path = tmp_path / "notes.backup"
    path.write_text("these are not the records you are looking for\n" * 100)
    before = _snapshot(app)
    result = runner.invoke(args=["restore", str(path), "--yes"])
    assert result.exit_code != 0
    assert "was not restored" in result.output
    assert _snapshot(app) == before


def test_a_database_user_who_may_not_create_databases_is_told_how_and_nothing_changes(
    app, runner, database_url, make_user, tmp_path
):
    """A restore proves the backup in a scratch database first: a role without CREATEDB gets the fix in
    words (operations guide, step 3), not a traceback, and the live database is untouched."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's CREATEDB: set TEST_DATABASE_URL")
    make_user("qa")
    path = tmp_path / "tracker.backup"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    before = _snapshot(app)
    role = f"restorer_{secrets.token_hex(4)}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN NOCREATEDB'))
    limited = create_app(
        {"DATABASE_URL": make_url(database_url).set(username=role).render_as_string(hide_password=False),
         "AUTO_MIGRATE": False, "TESTING": True, "SECRET_KEY": "k" * 32, "QR_SIGNING_KEY": "q" * 32}
    )  # fmt: skip
    try:
        result = limited.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
    finally:
        limited.extensions["tracker"].engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()
    assert result.exit_code == 1, result.output
    assert "may not create databases" in result.output
    assert f"ALTER ROLE {role} CREATEDB" in result.output
    assert "Traceback" not in result.output
    assert _snapshot(app) == before
