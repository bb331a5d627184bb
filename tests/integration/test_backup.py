"""Backup and restore round-trip a populated database, table by table, and the audit chain still verifies."""

from sqlalchemy import select

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
