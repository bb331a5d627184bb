"""A site's upgrade: a database written by release 0019, with records and the trail that release wrote of
them, is migrated to the newest revision and `audit verify` passes. The columns the migrations added to old
rows (a site for every record) are recorded in the trail by one migration event; a row changed behind the
app's back is still caught, and a new database gets no such event."""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command

from tests.audit_support import tamper
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tracker import create_app
from tracker.db import make_engine
from tracker.schema import alembic_config, migrate

T0 = dt.datetime(2026, 10, 1, 8, 0, tzinfo=dt.UTC)
OLD = "0019_shipments"


def _at(minutes: int) -> dt.datetime:
    return (T0 + dt.timedelta(minutes=minutes)).replace(tzinfo=None)  # stored as naive UTC


# What release 0019 wrote, one event at a time: (actor, role, action, entity, id, after, rows by table).
def _old_trial() -> list[tuple]:
    return [
        ("system", "admin", "create", "user", "qa1", {"role": "qa"}, {"user_account": [
            {"id": 1, "username": "qa1", "full_name": "QA One", "role": "qa", "password_hash": "x",
             "active": True, "created_at": _at(0)}]}),
        ("qa1", "qa", "create", "lot", "CELL-1", {"lot_number": "CELL-1"}, {
            "lot": [{"id": 1, "lot_number": "CELL-1", "material": "cells", "status": "released",
                     "manufactured_at": _at(1), "expires_at": _at(100000), "container_count": 2,
                     "volume_ml_per_container": 1.5, "created_at": _at(1), "created_by": "qa1"}],
            "container": [
                {"id": i, "container_id": f"C{i}", "lot_id": 1, "status": "issued", "freezer": "F1",
                 "rack": "R1", "box": "B1", "position": f"A{i}", "created_at": _at(1)} for i in (1, 2)]}),
        ("stat1", "statistician", "upload", "randomization_list", "1", {"code_count": 1}, {
            "randomization_list": [
                {"id": 1, "source": "upload", "salt": "s" * 64, "commitment": "c" * 64, "code_count": 1,
                 "created_at": _at(2), "created_by": "stat1"}],
            "randomization_code": [{"id": 1, "code": "R001", "list_id": 1, "position": 1, "stratum": "A"}],
            "allocation": [{"code": "R001", "arm": "active"}]}),
        ("nurse1", "nurse", "enrol", "participant", "P-001", {"participant_id": "P-001"}, {"participant": [
            {"id": 1, "participant_id": "P-001", "stratum": "A", "randomization_code": "R001",
             "randomized_at": _at(3), "enrolled_by": "nurse1"}]}),
        # Before sites, a shipment's origin and destination were free text (0020 makes them codes).
        ("qa1", "qa", "create", "shipment", "S1", {"shipment_id": "S1"}, {"shipment": [
            {"id": 1, "shipment_id": "S1", "from_site": "Cell lab", "destination_site": " site-02",
             "status": "packed", "created_at": _at(3), "created_by": "qa1"}]}),
        # A thaw: an unblinded event, its images on the unblinded chain.
        ("ph1", "pharmacist", "thaw", "thaw", "T1", {"thaw_id": "T1"}, {
            "thaw": [{"id": 1, "thaw_id": "T1", "container_pk": 1, "viable_cells_per_ml": 1e6,
                      "viability_percent": 90.0, "volume_ml": 1.5, "thawed_at": _at(4), "usable": True,
                      "reasons": [], "recorded_by": "ph1", "recorded_at": _at(4)}],
            "container": [{"id": 1, "status": "thawed", "updated": True}]}),
    ]  # fmt: skip


def _write_old_trial(conn: sa.Connection) -> None:
    """The rows and their events as release 0019 wrote them: each event carries the image of every row it
    wrote, the row as the schema of that release held it, through the trail's own writer."""
    from tracker.audit.records import image_of, row_key
    from tracker.audit.services import append_event

    metadata = sa.MetaData()
    for minute, (user, role, action, entity, entity_id, after, rows) in enumerate(_old_trial()):
        images = []
        for name, values in rows.items():
            with warnings.catch_warnings():  # SQLite's expression indexes are not reflected: not needed
                warnings.simplefilter("ignore", sa.exc.SAWarning)
                table = sa.Table(name, metadata, autoload_with=conn)
            (key,) = table.primary_key.columns
            for row in values:
                if row.get("updated"):
                    values = {c: v for c, v in row.items() if c not in (key.name, "updated")}
                    conn.execute(sa.update(table).where(key == row[key.name]).values(values))
                else:
                    conn.execute(sa.insert(table), row)
                stored = conn.execute(sa.select(table).where(key == row[key.name])).one()._mapping
                # Plain names as the models give them (reflection names columns with a subclass of str).
                image = {str(k): v for k, v in image_of(table, dict(stored)).items()}
                images.append((name, row_key(table, dict(stored)), image))
        append_event(
            conn, at=T0 + dt.timedelta(minutes=minute), username=user, role=role, action=action,
            entity_type=entity, entity_id=entity_id, before=None, after=after, reason=None, images=images,
        )  # fmt: skip


def _database(tmp_path, name: str) -> Iterator[tuple[str, str | None]]:
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url, pg_name = _create_postgres_database(base)
        yield url, pg_name
        _drop_postgres_database(base, pg_name)
    else:
        yield f"sqlite:///{tmp_path / name}", None


def _app(url: str, tmp_path):
    app = create_app(
        {"DATABASE_URL": url, "AUTO_MIGRATE": False, "TESTING": True, "SECRET_KEY": "k",
         "QR_SIGNING_KEY": "q"}
    )  # fmt: skip
    app.instance_path = str(tmp_path)
    return app


@pytest.fixture
def upgraded(tmp_path):
    """A database at release 0019 with records and their trail, then migrated as `init-db` does."""
    for url, _ in _database(tmp_path, "old.db"):
        engine = make_engine(url)
        with engine.connect().execution_options(write=True) as conn:
            command.upgrade(alembic_config(conn), OLD)
            _write_old_trial(conn)
            conn.commit()
        migrate(engine)
        engine.dispose()
        app = _app(url, tmp_path)
        yield app
        app.extensions["tracker"].engine.dispose()


def _rows(app, sql: str, **params) -> list:
    with app.extensions["tracker"].engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


def _migration_events(app) -> list:
    return _rows(app, "SELECT seq, username, action, entity_type, entity_id, after FROM audit_event "
                      "WHERE action = 'migrate' ORDER BY seq")  # fmt: skip


def test_an_upgraded_database_passes_verification(upgraded):
    result = upgraded.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Records agree with the trail: 12 rows." in result.output  # SITE-01 and SITE-02 made by 0020
    (event,) = _migration_events(upgraded)
    assert event.username == "system"
    assert (event.entity_type, event.entity_id) == ("audit_trail", "0021_migrated_rows_audited")
    # The migrated rows carry their new column in the trail; the thaw's image is on the sealed chain's
    # event too, under its seal (images are never shown to a reader).
    images = _rows(upgraded, "SELECT table_name, image FROM audit_record WHERE seq = :seq "
                             "AND chain = 'sealed' ORDER BY n", seq=event.seq)  # fmt: skip
    tables = sorted({table for table, _ in images})
    # Every old record got its site, the user its sites, the shipment codes for its sites (SITE-02 made
    # beside SITE-01 by 0020): the allocation and the list, untouched, are not in it.
    assert tables == ["container", "lot", "participant", "shipment", "site", "thaw", "user_account"]
    assert len(images) == 9
    # Nothing any blinded reader sees of the event counts rows (a count of thaws says which arm was used).
    assert "thaw" not in str(event.after)


def test_migrating_again_records_nothing(upgraded):
    from tracker.audit.upgrades import record_migrated_rows

    engine = upgraded.extensions["tracker"].engine
    with engine.connect().execution_options(write=True) as conn:
        assert record_migrated_rows(conn, "again", "test") == 0
        conn.commit()
    assert len(_migration_events(upgraded)) == 1


def test_the_migration_event_hides_its_counts_from_blinded_readers(upgraded):
    from tracker.audit.services import AuditFilter, list_events
    from tracker.roles import Actor
    from tracker.web.context import reader

    qa = Actor(user_id=1, username="qa1", full_name="QA", role="qa")
    pharmacist = Actor(user_id=2, username="ph1", full_name="Ph", role="pharmacist")
    with upgraded.app_context(), reader() as work:
        blinded = [e for e in list_events(work.session, qa, AuditFilter()) if e["action"] == "migrate"]
        unblinded = [
            e for e in list_events(work.session, pharmacist, AuditFilter()) if e["action"] == "migrate"
        ]
    assert blinded[0]["after"] == {"revision": "0021_migrated_rows_audited"}
    assert unblinded[0]["after"]["rows_by_table"]["thaw"] == 1


def test_a_migrated_column_changed_afterwards_is_caught(upgraded):
    tamper(upgraded, "UPDATE lot SET site_code = 'SITE-99' WHERE id = 1")
    result = upgraded.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert "lot 00000000000000000001 column site_code" in result.output


def test_a_row_changed_before_the_upgrade_is_not_whitewashed(tmp_path):
    """A row changed behind the app's back before the upgrade differs in an old column too: the migration
    leaves it out of its event and verification still names it."""
    for url, _ in _database(tmp_path, "tampered.db"):
        engine = make_engine(url)
        with engine.connect().execution_options(write=True) as conn:
            command.upgrade(alembic_config(conn), OLD)
            _write_old_trial(conn)
            conn.execute(sa.text("UPDATE container SET freezer = 'F9' WHERE id = 2"))
            conn.execute(sa.text("UPDATE shipment SET status = 'received' WHERE id = 1"))
            conn.commit()
        migrate(engine)
        engine.dispose()
        app = _app(url, tmp_path)
        result = app.test_cli_runner().invoke(args=["audit", "verify"])
        app.extensions["tracker"].engine.dispose()
        assert result.exit_code != 0
        assert "container 00000000000000000002 column freezer" in result.output
        assert "container 00000000000000000002 column site_code" in result.output
        assert "shipment 00000000000000000001 column status" in result.output
        assert "container 00000000000000000001" not in result.output


def test_a_new_database_gets_no_migration_event(tmp_path):
    for url, _ in _database(tmp_path, "new.db"):
        engine = make_engine(url)
        migrate(engine)
        with engine.connect() as conn:
            counts = [
                conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()  # noqa: S608 - our names
                for t in ("audit_event", "audit_unblinded_event", "audit_record")
            ]
        engine.dispose()
        assert counts == [0, 0, 0]
