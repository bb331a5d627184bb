"""Chain-of-custody tracker for blinded cell therapy trials: the application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import sessionmaker

from tracker.config import load_settings
from tracker.db import make_engine
from tracker.users.services import LoginPolicy
from tracker.web.context import TrackerState

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
        ),
    )

    csrf.init_app(app)
    _register_blueprints(app)

    from tracker.web.errors import register_error_handlers
    from tracker.web.filters import register_filters
    from tracker.web.i18n import init_i18n
    from tracker.web.security import register_security_headers

    register_error_handlers(app)
    register_filters(app)
    init_i18n(app)
    register_security_headers(app)

    from tracker.audit import scheduling

    scheduling.init_app(app)

    from tracker.cli import prepare_database, register_cli

    register_cli(app)
    if app.config["AUTO_MIGRATE"]:
        prepare_database(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from tracker.audit import api as audit_api
    from tracker.audit import views as audit_views
    from tracker.custody import api as custody_api
    from tracker.doses import api as doses_api
    from tracker.doses import views as doses_views
    from tracker.infusions import api as infusions_api
    from tracker.infusions import views as infusions_views
    from tracker.lots import api as lots_api
    from tracker.lots import views as lots_views
    from tracker.notifications import views as notifications_views
    from tracker.participants import api as participants_api
    from tracker.participants import views as participants_views
    from tracker.randomization import api as randomization_api
    from tracker.randomization import views as randomization_views
    from tracker.reports import api as reports_api
    from tracker.reports import views as reports_views
    from tracker.scanning import views as scanning_views
    from tracker.stock import api as stock_api
    from tracker.stock import views as stock_views
    from tracker.thaws import api as thaws_api
    from tracker.users import api as users_api
    from tracker.web import i18n, meta, pages

    api_modules = (
        users_api, audit_api, meta, lots_api, stock_api, randomization_api, participants_api, thaws_api,
        doses_api, custody_api, infusions_api, reports_api,
    )  # fmt: skip
    for module in api_modules:
        csrf.exempt(module.bp)  # the API authenticates with bearer tokens, never cookies
        app.register_blueprint(module.bp)
    app.register_blueprint(meta.health_bp)
    page_modules = (
        pages, i18n, lots_views, stock_views, randomization_views, participants_views, notifications_views,
        doses_views, reports_views, audit_views, infusions_views, scanning_views,
    )  # fmt: skip
    for module in page_modules:
        app.register_blueprint(module.bp)
