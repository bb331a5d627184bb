"""A real PostgreSQL streaming standby of the test server: a second cluster copied with pg_basebackup, on
another port of this machine. Reports and exports read from it and still see the page's own writes; a standby
that falls behind is passed over for the primary and /healthz says so; a promoted standby passes
`audit verify` with every event the primary had committed.

PostgreSQL only (TEST_DATABASE_URL on 127.0.0.1). pg_basebackup needs a replication entry in the test
server's pg_hba.conf; this machine has `host replication postgres 127.0.0.1/32 trust` beside its
`host all all 127.0.0.1/32 trust` (docs/operations.md). The standby is made as the `postgres` OS user (the
test runs as root, or as postgres) with the server's own major version of the binaries."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from tests.integration.randomization_support import import_list, list_rows
from tests.serving_support import free_port
from tracker import create_app
from tracker.config import ConfigError

REPLICATION_HINT = (
    "add `host replication postgres 127.0.0.1/32 trust` to the test server's pg_hba.conf (SHOW hba_file) "
    "and run SELECT pg_reload_conf()"
)
# Settings a hot standby must have at least as high as its primary's, or it refuses to start.
MATCHED_SETTINGS = (
    "max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions",
    "max_locks_per_transaction",
)  # fmt: skip


@dataclass(frozen=True)
class Standby:
    url: str
    folder: Path

    def sql(self, statement: str) -> object:
        url = make_url(self.url)
        with psycopg.connect(
            host=url.host, port=url.port, user=url.username, dbname=url.database, autocommit=True
        ) as conn:
            return conn.execute(statement).fetchone()[0]


def _as_postgres(*command: str | Path, timeout: int = 120) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(  # noqa: S603 - PostgreSQL's own tools on paths we made
        [*prefix, *map(str, command)], capture_output=True, text=True, timeout=timeout, check=False
    )


def _primary_settings(url) -> tuple[int, dict[str, str]]:  # noqa: ANN001
    with psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database
    ) as conn:
        version = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
        settings = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in MATCHED_SETTINGS}
    return version, settings


@pytest.fixture
def standby(database_url: str) -> Iterator[Standby]:
    if not database_url.startswith("postgresql"):
        pytest.skip("a standby of the PostgreSQL test server: set TEST_DATABASE_URL")
    url = make_url(database_url)
    if url.host not in ("127.0.0.1", "localhost"):
        pytest.skip("the standby is made on this machine: TEST_DATABASE_URL must be a server on 127.0.0.1")
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != "postgres":
        pytest.skip("the standby is made as the postgres OS user: run the tests as root or postgres")
    version, settings = _primary_settings(url)
    binaries = Path(f"/usr/lib/postgresql/{version}/bin")
    if not (binaries / "pg_basebackup").exists():
        pytest.skip(f"no PostgreSQL {version} binaries in {binaries} (apt-get install postgresql-{version})")
    folder = Path(tempfile.mkdtemp(prefix="tracker-standby-"))  # not under pytest's root-only folder
    shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    try:
        copied = _as_postgres(
            binaries / "pg_basebackup", "-h", url.host, "-p", str(url.port or 5432), "-U", url.username,
            "-D", data, "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast",
        )  # fmt: skip
        if copied.returncode != 0:
            pytest.skip(
                f"pg_basebackup cannot copy the test server ({copied.stderr.strip()}): {REPLICATION_HINT}"
            )
        # Debian keeps the configuration outside the data folder: the copy gets its own, minimal one.
        (data / "postgresql.conf").write_text("")
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (data / "pg_ident.conf").write_text("")
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(data / name, "postgres", "postgres")
        port = free_port()
        options = [
            f"-c port={port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={folder}",
            "-c hot_standby=on", "-c shared_buffers=16MB", "-c fsync=off",
            *(f"-c {name}={value}" for name, value in settings.items()),
        ]  # fmt: skip
        started = _as_postgres(
            binaries / "pg_ctl", "-D", data, "-l", folder / "standby.log", "-w", "-t", "60",
            "-o", " ".join(options), "start",
        )  # fmt: skip
        log = folder / "standby.log"
        assert started.returncode == 0, f"{started.stderr}\n{log.read_text() if log.exists() else ''}"
        yield Standby(url.set(port=port).render_as_string(hide_password=False), folder)
    finally:
        _as_postgres(binaries / "pg_ctl", "-D", data, "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _counts(verified_output: str) -> tuple[int, int]:
    found = re.search(r"Audit chain intact: (\d+) events \(and (\d+) in the unblinded chain", verified_output)
    assert found, verified_output
    return int(found.group(1)), int(found.group(2))


def test_reports_read_the_standby_fall_back_when_it_lags_and_a_promoted_standby_holds_every_event(
    standby, database_url, tmp_path, login
):
    app = create_app(
        {"DATABASE_URL": database_url, "AUTO_MIGRATE": False, "TESTING": True, "SECRET_KEY": "k" * 32,
         "QR_SIGNING_KEY": "q", "DATABASE_REPLICA_URL": standby.url, "REPLICA_MAX_LAG_SECONDS": 0.5,
         "REPLICA_RETRY_SECONDS": 0}
    )  # fmt: skip
    replica_engine = app.extensions["tracker"].replica.engine
    on_replica: list[str] = []
    event.listen(replica_engine, "before_cursor_execute", lambda *a: on_replica.append(a[2]))
    client = app.test_client()
    runner = app.test_cli_runner()
    try:
        loaded = list_rows(per_stratum=4, strata="C")
        import_list(runner, tmp_path, loaded)
        investigator = login("investigator")
        qa = login("qa")
        auth = {"Authorization": f"Bearer {investigator.token}"}
        qa_auth = {"Authorization": f"Bearer {qa.token}"}

        def enrol(participant: str) -> None:
            answer = client.post("/api/v1/participants", json={"participant_id": participant, "stratum": "C"},
                                 headers=auth)  # fmt: skip
            assert answer.status_code == 201, answer.json

        # 1. Caught up: the export reads the standby, and sees the enrolment made just before it.
        replica = client.get("/healthz").json["replica"]
        assert replica["status"] == "ok"
        assert replica["reads_from"] == "replica"
        assert 0 <= replica["lag_seconds"] < 0.5
        enrol("STANDBY-1")
        on_replica.clear()
        export = client.get("/api/v1/audit/export.csv", headers=qa_auth)
        assert export.status_code == 200
        assert "STANDBY-1" in export.text
        assert any("audit_event" in statement for statement in on_replica)

        # 2. The standby stops replaying: a write after that is still in the next export (from the primary),
        # and /healthz says the replica lags and reads go to the primary.
        standby.sql("SELECT pg_wal_replay_pause()")
        enrol("STANDBY-2")
        on_replica.clear()
        export = client.get("/api/v1/audit/export.csv", headers=qa_auth)
        assert "STANDBY-2" in export.text
        assert not any("audit_event" in statement for statement in on_replica)
        health = client.get("/healthz").json
        assert health["status"] == "degraded"
        assert health["problems"] == ["replica"]
        assert health["replica"] == {"status": "lagging", "lag_seconds": None, "reads_from": "primary"}

        # 3. Replaying again, it catches up and is read again.
        standby.sql("SELECT pg_wal_replay_resume()")
        enrol("STANDBY-3")
        assert client.get("/healthz").json["replica"]["reads_from"] == "replica"
        on_replica.clear()
        assert "STANDBY-3" in client.get("/api/v1/audit/export.csv", headers=qa_auth).text
        assert any("audit_event" in statement for statement in on_replica)

        # 4. Failover: the standby, caught up, is promoted; it holds every event the primary committed.
        on_primary = runner.invoke(args=["audit", "verify"])
        assert on_primary.exit_code == 0, on_primary.output
        assert app.extensions["tracker"].replica.check().status == "ok"  # caught up with the primary
        assert standby.sql("SELECT pg_promote(wait => true)") is True
        assert client.get("/healthz").json["replica"]["status"] == "not_standby"
    finally:
        app.extensions["tracker"].engine.dispose()
        replica_engine.dispose()
    promoted = create_app(
        {"DATABASE_URL": standby.url, "AUTO_MIGRATE": False, "TESTING": True, "SECRET_KEY": "k" * 32,
         "QR_SIGNING_KEY": "q"}
    )  # fmt: skip
    try:
        on_promoted = promoted.test_cli_runner().invoke(args=["audit", "verify"])
        assert on_promoted.exit_code == 0, on_promoted.output
        assert _counts(on_promoted.output) == _counts(on_primary.output)
        assert "Records agree with the trail" in on_promoted.output
    finally:
        promoted.extensions["tracker"].engine.dispose()


def test_an_unreachable_replica_is_passed_over_and_reported(database_url, login):
    if not database_url.startswith("postgresql"):
        pytest.skip("a replica of a PostgreSQL database: set TEST_DATABASE_URL")
    nowhere = (
        make_url(database_url).set(host="127.0.0.1", port=free_port()).render_as_string(hide_password=False)
    )
    app = create_app(
        {"DATABASE_URL": database_url, "AUTO_MIGRATE": False, "TESTING": True, "SECRET_KEY": "k" * 32,
         "QR_SIGNING_KEY": "q", "DATABASE_REPLICA_URL": nowhere}
    )  # fmt: skip
    try:
        client = app.test_client()
        qa = login("qa")
        started = time.monotonic()
        export = client.get("/api/v1/audit/export.csv", headers={"Authorization": f"Bearer {qa.token}"})
        assert export.status_code == 200
        assert export.text.startswith("seq,")  # read to its end: a streamed export ends inside its request
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json["status"] == "degraded"
        assert health.json["replica"] == {
            "status": "unreachable",
            "lag_seconds": None,
            "reads_from": "primary",
        }
        assert time.monotonic() - started < 10  # a refused connection, not a hang
        assert nowhere not in health.get_data(as_text=True)
    finally:
        app.extensions["tracker"].engine.dispose()
        app.extensions["tracker"].replica.engine.dispose()


def test_a_replica_is_refused_beside_sqlite(tmp_path):
    with pytest.raises(ConfigError, match="DATABASE_REPLICA_URL"):
        create_app(
            {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "TESTING": True, "AUTO_MIGRATE": False,
             "DATABASE_REPLICA_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/test"}
        )  # fmt: skip
