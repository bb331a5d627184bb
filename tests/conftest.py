"""Fixtures: one migrated database per test run (SQLite, or PostgreSQL when TEST_DATABASE_URL says so),
emptied after every test, an app per test, and signed-in API clients per role."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tracker import create_app
from tracker.db import CLOCK, make_engine
from tracker.models import Base
from tracker.roles import SYSTEM
from tracker.schema import migrate
from tracker.studies.services import load_study
from tracker.users import services as user_services
from tracker.users.services import create_user
from tracker.web.context import uow

PASSWORD = "Correct-Horse-9"

# Production hashes passwords with argon2-cffi's defaults (3 passes over 64 MiB, about 0.1 s a hash or a
# check here) and almost every test creates users and signs them in: that alone was over half of the suite's
# time. The tests hash with one pass over 1 MiB instead; what they test (the right password passes, a wrong
# one or an unknown name fails) does not depend on the cost. Only the tests change it: production keeps its
# own hasher, kept here as PRODUCTION_HASHER so that tests/unit/test_password_hashing.py can check it.
PRODUCTION_HASHER = user_services._hasher
user_services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
user_services._DUMMY_HASH = user_services._hasher.hash("not-a-real-password-0")


# Under pytest-xdist (pyproject's addopts: -n logical --dist loadgroup) tests are dealt out to the workers one
# by one, except these, kept together in one worker, by the start of their node ID:
XDIST_GROUPS = {
    "tests/e2e/": "browser",  # one Chromium and one Playwright driver for all the browser tests
    "tests/integration/test_blinding_audit.py::": "blinding-audit",  # its module-scoped audit run, built once
}
# A module whose tests share a module-scoped fixture belongs here too, or each worker builds the fixture.
# (The xdist_group mark does the same on pytest < 9.2, but pytest 9.2's node IDs no longer carry the group
# xdist 3.8 writes into them: pytest-dev/pytest-xdist#1386. The scheduler below reads node IDs only.)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class GroupedScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            for start, group in XDIST_GROUPS.items():
                if nodeid.startswith(start):
                    return group
            return super()._split_scope(nodeid)

    return GroupedScheduling(config, log)


def _create_postgres_database(base_url: str) -> tuple[str, str]:
    url = make_url(base_url)
    name = f"tracker_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(base_url: str, name: str) -> None:
    url = make_url(base_url)
    with psycopg.connect(
        host=url.host, port=url.port or 5432, user=url.username, dbname=url.database, autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url, name = _create_postgres_database(base)
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url
        _drop_postgres_database(base, name)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tracker.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        yield url


# Our tables' serial ID sequences, each set back to start at 1 (as TRUNCATE ... RESTART IDENTITY would).
_RESTART_SEQUENCES = """
SELECT setval(seq.oid::regclass, 1, false)
FROM pg_class seq
JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = seq.oid
    AND dep.refclassid = 'pg_class'::regclass
JOIN pg_class tab ON tab.oid = dep.refobjid
WHERE seq.relkind = 'S' AND tab.relname = ANY(:tables) AND tab.relnamespace = current_schema()::regnamespace
"""


def _empty_all_tables(app: Any) -> None:
    """Every table emptied and, on PostgreSQL, every serial ID restarted: the migrated, empty database again.

    DELETE, children first, rather than TRUNCATE: a test leaves a few rows, and PostgreSQL's TRUNCATE of 28
    tables (new files for each table and index) took about 0.15 s a test here, DELETE a tenth of that."""
    engine = app.extensions["tracker"].engine
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.connect().execution_options(write=True) as conn:
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - table names from our metadata
        if engine.dialect.name == "postgresql":
            conn.execute(text(_RESTART_SEQUENCES), {"tables": tables})
        conn.commit()


@pytest.fixture
def clock() -> Iterator[Any]:
    """The app's clock (tracker.db.CLOCK), which a test may move on (`clock.advance`); set back after."""
    yield CLOCK
    CLOCK.reset()


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


# Apps of the default configuration, one per database, kept by this worker: building one (its URL map alone)
# costs about 60 ms, paid by every test before. Each test gets it with its instance folder and its settings as
# they were built; the tables are emptied after each test as before.
_DEFAULT_APPS: dict[str, Any] = {}


def _new_app(database_url: str, app_config: dict[str, Any]) -> Any:
    return create_app(
        {
            "DATABASE_URL": database_url,
            "AUTO_MIGRATE": False,
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "QR_SIGNING_KEY": "test-qr-signing-key",
            **app_config,
        }
    )


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any], tmp_path) -> Iterator[Any]:  # noqa: ANN001
    if app_config:
        application = _new_app(database_url, app_config)
    else:
        application = _DEFAULT_APPS.get(database_url)
        if application is None:
            application = _DEFAULT_APPS[database_url] = _new_app(database_url, {})
    settings = dict(application.config)
    application.instance_path = str(tmp_path)
    with application.app_context():
        load_study(uow(), SYSTEM, "umsis")
    yield application
    _empty_all_tables(application)
    application.config.clear()
    application.config.update(settings)
    if app_config:
        application.extensions["tracker"].engine.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


class ApiClient:
    """A test client that signs its calls with one user's bearer token."""

    def __init__(self, client: Any, token: str, username: str, role: str) -> None:
        self.client, self.token, self.username, self.role = client, token, username, role

    def _headers(self, extra: dict | None) -> dict:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(url, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self._headers(kw.pop("headers", None)), **kw)


@pytest.fixture
def make_user(app: Any):  # noqa: ANN201
    """make_user(role, username=None, sites=()) -> username; the password is PASSWORD; no sites: the whole
    trial."""
    counter = iter(range(1, 10_000))

    def make(role: str, username: str | None = None, full_name: str = "", sites: tuple[str, ...] = ()) -> str:
        name = username or f"{role}{next(counter)}"
        with app.app_context():
            create_user(
                uow(), SYSTEM, name, role, PASSWORD, full_name or f"{role.title()} Tester", sites=sites
            )
        return name

    return make


@pytest.fixture
def login(client: Any, make_user: Any):  # noqa: ANN201
    """login(role, username=None, sites=()) -> ApiClient signed in as a new user of that role."""

    def sign_in(role: str, username: str | None = None, sites: tuple[str, ...] = ()) -> ApiClient:
        name = make_user(role, username, sites=sites)
        response = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
        assert response.status_code == 200, response.json
        return ApiClient(client, response.json["token"], name, role)

    return sign_in


def csrf_token_in(html: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', html).group(1).decode()


class PageClient:
    """A test client signed in through the sign-in form; it posts forms with their CSRF token."""

    def __init__(self, client: Any, username: str) -> None:
        self.client, self.username = client, username

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def submit(self, url: str, data: dict, *, form_page: str | None = None) -> Any:
        token = csrf_token_in(self.client.get(form_page or url).data)
        return self.client.post(url, data={**data, "csrf_token": token})


@pytest.fixture
def browse(app: Any, make_user: Any):  # noqa: ANN201
    """browse(role) -> a PageClient signed in as a new user of that role."""

    def sign_in(role: str) -> PageClient:
        client = app.test_client()
        name = make_user(role)
        token = csrf_token_in(client.get("/login").data)
        response = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        return PageClient(client, name)

    return sign_in
