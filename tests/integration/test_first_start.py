"""The first start of a new database: several processes (app servers, commands) starting at once all come up,
and the schema is migrated and the study loaded exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import _create_postgres_database, _drop_postgres_database
from tracker.db import make_engine
from tracker.schema import at_head
from tracker.signing import generate_key_file
from tracker.studies.models import Study

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def new_database_url(tmp_path: Path) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    url, name = _create_postgres_database(base)
    yield url
    _drop_postgres_database(base, name)


def test_four_processes_starting_on_a_new_database_at_once_all_come_up(new_database_url, tmp_path):
    generate_key_file(tmp_path / "audit-signing.pem")
    env = {
        **os.environ,
        "DATABASE_URL": new_database_url,
        "SECRET_KEY": "first-start-test-secret-key-32-bytes-long",
        "QR_SIGNING_KEY": "first-start-test-qr-key",
        "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "audit-signing.pem"),
    }
    starts = [
        subprocess.Popen(  # noqa: S603 - our own interpreter running our own app
            [sys.executable, "-m", "flask", "--app", "app", "init-db"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [start.communicate(timeout=180)[0] for start in starts]
    assert [start.returncode for start in starts] == [0, 0, 0, 0], "\n".join(outputs)
    assert all("Database ready." in output for output in outputs)
    engine = make_engine(new_database_url)
    try:
        assert at_head(engine)
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(Study)).scalar_one() == 1
    finally:
        engine.dispose()
