"""Chain-of-custody tracker for blinded cell therapy trials: the application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker.config import LoginPolicy, load_settings
from tracker.db import make_engine
from tracker.users import services as users
from tracker.web.context import Accounts, TrackerState

csrf = CSRFProtect()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__, instance_relative_config=True, template_folder="../templates", static_folder="../static"
    )
    app.config.update(load_settings(app.instance_path, config))
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["tracker"] = TrackerState(
        engine=engine,
        session_factory=sessionmaker(engine, expire_on_commit=False),
        login_policy=LoginPolicy(
            max_failures=app.config["LOGIN_MAX_FAILURES"],
            lockout_minutes=app.config["LOGIN_LOCKOUT_MINUTES"],
            token_ttl_minutes=app.config["TOKEN_TTL_MINUTES"],
            session_hours=app.config["SESSION_MAX_HOURS"],
        ),
        accounts=Accounts(
            resolve_token=users.resolve_token,
            resolve_page_session=users.resolve_page_session,
            check_password=users.check_password,
            begin_page_session=users.begin_page_session,
            end_page_session=users.end_page_session,
            any_user_exists=users.any_user_exists,
        ),
    )

    if app.config["DATABASE_REPLICA_URL"]:
        from tracker.replica import ReplicaReads

        app.extensions["tracker"].replica = ReplicaReads(
            engine,
            make_engine(app.config["DATABASE_REPLICA_URL"], connect_timeout=2),
            max_lag_seconds=app.config["REPLICA_MAX_LAG_SECONDS"],
            retry_seconds=app.config["REPLICA_RETRY_SECONDS"],
        )

    if app.config["TRUSTED_PROXY_HOPS"] > 0:
        # X-Forwarded-For is believed only behind proxies the site configured (lockouts are per address).
        hops = app.config["TRUSTED_PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from tracker.sites import scope

    scope.install(app.extensions["tracker"].session_factory)
    if app.extensions["tracker"].replica is not None:
        scope.install(app.extensions["tracker"].replica.session_factory)
    csrf.init_app(app)
    _connect_features()
    _register_blueprints(app)

    from tracker.studies.services import study_definition
    from tracker.web.context import reader
    from tracker.web.errors import register_error_handlers
    from tracker.web.filters import register_filters
    from tracker.web.i18n import init_i18n
    from tracker.web.problems import register_problems
    from tracker.web.security import register_query_check, register_security_headers

    register_error_handlers(app)
    register_filters(app, study_translations=lambda: study_definition(reader()).translations)
    register_problems(app)
    init_i18n(app)
    register_security_headers(app)
    register_query_check(app)

    from tracker.audit import scheduling

    scheduling.init_app(app)

    from tracker.cli import prepare_database, register_cli

    register_cli(app)
    if app.config["AUTO_MIGRATE"]:
        prepare_database(app)
    return app


def _connect_features() -> None:
    """Hand a lower feature what it reads from one above it, so that imports run one way (pyproject.toml)."""
    from tracker.lots import follow_up, quarantine
    from tracker.participants import services as participants
    from tracker.pharmacy import handoffs, preparation
    from tracker.randomization import services as randomization
    from tracker.shipments import services as shipments
    from tracker.thaws import services as thaws
    from tracker.ward import services as ward

    thaws.count_draws_with(preparation.drawn_from)
    handoffs.read_bedside_events_with(ward.bedside_events)
    randomization.count_used_codes_with(participants.used_codes_by_stratum)
    follow_up.find_affected_with(preparation.bags_from_lot)
    quarantine.after_release_with(shipments.issue_released)
    follow_up.safety_code_break_with(participants.safety_code_break)


def _register_blueprints(app: Flask) -> None:
    from tracker.adverse_events import api as adverse_events_api
    from tracker.adverse_events import views as adverse_events_views
    from tracker.audit import api as audit_api
    from tracker.audit import views as audit_views
    from tracker.camera import views as camera_views
    from tracker.deviations import api as deviations_api
    from tracker.deviations import views as deviations_views
    from tracker.fhir import api as fhir_api
    from tracker.lots import api as lots_api
    from tracker.lots import views as lots_views
    from tracker.notifications import views as notifications_views
    from tracker.participants import api as participants_api
    from tracker.participants import views as participants_views
    from tracker.pharmacy import api as pharmacy_api
    from tracker.pharmacy import handoff_api
    from tracker.pharmacy import views as pharmacy_views
    from tracker.randomization import api as randomization_api
    from tracker.randomization import views as randomization_views
    from tracker.reports import api as reports_api
    from tracker.reports import views as reports_views
    from tracker.shipments import api as shipments_api
    from tracker.shipments import views as shipments_views
    from tracker.sites import api as sites_api
    from tracker.sites import views as sites_views
    from tracker.stock import api as stock_api
    from tracker.stock import views as stock_views
    from tracker.storage import api as storage_api
    from tracker.storage import views as storage_views
    from tracker.thaws import api as thaws_api
    from tracker.users import api as users_api
    from tracker.users import views as users_views
    from tracker.ward import api as ward_api
    from tracker.ward import views as ward_views
    from tracker.web import i18n, meta, pages
    from tracker.web.errors import answer_errors_under

    api_modules = (
        users_api, audit_api, meta, lots_api, stock_api, randomization_api, participants_api, thaws_api,
        pharmacy_api, handoff_api, ward_api, reports_api, deviations_api, adverse_events_api,
        storage_api, shipments_api, sites_api,
    )  # fmt: skip
    for module in api_modules:
        csrf.exempt(module.bp)  # the API authenticates with bearer tokens, never cookies
        app.register_blueprint(module.bp)
    from tracker import health

    app.register_blueprint(health.bp)
    # FHIR R5 (tracker/fhir): bearer tokens as the API, its errors as OperationOutcome resources.
    csrf.exempt(fhir_api.bp)
    app.register_blueprint(fhir_api.bp)
    answer_errors_under("/fhir/", fhir_api.error_body)
    page_modules = (
        pages, i18n, lots_views, stock_views, randomization_views, participants_views, notifications_views,
        pharmacy_views, reports_views, audit_views, ward_views, camera_views, users_views,
        deviations_views, adverse_events_views, storage_views, shipments_views, sites_views,
    )  # fmt: skip
    for module in page_modules:
        app.register_blueprint(module.bp)
