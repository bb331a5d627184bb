"""Languages: English and Simplified Chinese; the user's choice is remembered, else the browser's."""

from __future__ import annotations

from flask import Blueprint, Flask, redirect, request, session, url_for
from flask_babel import Babel

from tracker.translation import N_
from tracker.web.security import is_local_path

LANGUAGES = {"en": "English", "zh": "简体中文"}
TRANSLATIONS = "translations"  # relative to the tracker package

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES)) or "en"


@bp.post("/language")
def choose_language():
    lang = request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
    target = request.form.get("next", "")
    return redirect(target if is_local_path(target) else url_for("pages.home"))


def init_i18n(app: Flask) -> None:
    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=lambda: app.config["SITE_TIMEZONE"],
        default_translation_directories=TRANSLATIONS,
    )
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["current_lang"] = select_locale


ROLE_NAMES = (
    N_("admin"), N_("gmp"), N_("qa"), N_("pharmacist"), N_("nurse"), N_("investigator"), N_("statistician"),
)  # fmt: skip
