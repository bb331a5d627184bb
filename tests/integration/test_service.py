"""Health, the OpenAPI document, configuration, and models against migrations."""

import re
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tracker import create_app
from tracker.config import ConfigError
from tracker.models import Base
from tracker.signing import generate_key_file


def test_healthz_needs_no_token(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    # The fields beside these two are tests/integration/test_health.py's.
    assert {key: response.json[key] for key in ("status", "database")} == {"status": "ok", "database": "ok"}


def test_openapi_describes_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (method, path) in documented, f"{method} {path} is not in the OpenAPI document"
    token = doc["paths"]["/api/v1/auth/token"]["post"]
    assert token["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("TokenRequest")


def test_production_refuses_to_start_without_its_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("QR_SIGNING_KEY", raising=False)
    monkeypatch.delenv("AUDIT_SIGNING_KEY_FILE", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY, QR_SIGNING_KEY, AUDIT_SIGNING_KEY_FILE"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "AUTO_MIGRATE": False})


def test_production_refuses_an_audit_signing_key_file_that_is_not_there(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("QR_SIGNING_KEY", "q" * 32)
    monkeypatch.setenv("AUDIT_SIGNING_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConfigError, match="not a file"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "AUTO_MIGRATE": False})


def test_production_refuses_a_short_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 31)
    monkeypatch.setenv("QR_SIGNING_KEY", "q" * 32)
    key = tmp_path / "audit.pem"
    generate_key_file(key)
    monkeypatch.setenv("AUDIT_SIGNING_KEY_FILE", str(key))
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "AUTO_MIGRATE": False})


def test_production_starts_with_its_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 32)
    monkeypatch.setenv("QR_SIGNING_KEY", "q" * 32)
    key = tmp_path / "audit.pem"
    generate_key_file(key)
    monkeypatch.setenv("AUDIT_SIGNING_KEY_FILE", str(key))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "AUTO_MIGRATE": False})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["tracker"].engine.dispose()


# Indexes on an expression (upper(...)): SQLite's reflection skips them with a warning, so on SQLite they are
# checked by name and definition below instead (PostgreSQL compares them like any other index).
EXPRESSION_INDEXES = {
    "uq_participant_participant_key": "upper(participant_id)",
    "uq_randomization_code_code_key": "upper(code)",
}


def test_models_and_migrations_agree(app):
    engine = app.extensions["tracker"].engine
    with engine.connect() as conn, warnings.catch_warnings():
        if engine.dialect.name == "sqlite":
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based")
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_the_expression_indexes_are_unique_indexes_of_the_schema(app):
    engine = app.extensions["tracker"].engine
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all()
        else:
            rows = conn.exec_driver_sql("SELECT indexname, indexdef FROM pg_indexes").all()
    found = {name: " ".join(sql.split()) for name, sql in rows if name in EXPRESSION_INDEXES}
    assert set(found) == set(EXPRESSION_INDEXES)
    for name, expression in EXPRESSION_INDEXES.items():
        assert found[name].upper().startswith("CREATE UNIQUE INDEX"), found[name]
        bare = found[name].lower().replace("::text", "").replace("(", "").replace(")", "")
        assert expression.replace("(", "").replace(")", "") in bare, found[name]


def test_sqlite_runs_durable_settings(app):
    engine = app.extensions["tracker"].engine
    if engine.dialect.name != "sqlite":
        assert engine.dialect.name == "postgresql"
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
