"""Storage pages: the list of units with their latest reading and status (and the form creating one), and a
unit's page: its chart, excursions, contents, and the forms moving a container in and importing a logger
file; the containers in quarantine after an excursion, how long each has waited, and QA's signed decision.
GMP and the pharmacy manage, QA reads and decides a quarantine; no blinded ward role sees any of it."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup

from tracker.errors import DomainError, NotFound
from tracker.lots import quarantine
from tracker.lots.schemas import QuarantineDecisionIn
from tracker.storage import rules, services
from tracker.storage.chart import temperature_svg
from tracker.storage.schemas import MoveIn, PeriodQuery, UnitIn
from tracker.translation import N_
from tracker.web.context import login_policy, reader, uow
from tracker.web.forms import FormRefused, form_data, load_form, refusal
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("storage_pages", __name__)

WORKSPACES.append((N_("Storage and temperatures"), "storage_pages.index", rules.READERS))

KIND_NAMES = {
    "ln2_freezer": N_("LN2 freezer"), "vapour_phase_dewar": N_("Vapour-phase dewar"),
    "dry_shipper": N_("Dry shipper"), "fridge_2_8": N_("2–8 °C fridge"),
}  # fmt: skip
STATUS_NAMES = {
    "no_readings": N_("No readings yet"), "silent": N_("Silent: readings stopped"),
    "out_of_range": N_("Out of range"), "in_range": N_("In range"),
}  # fmt: skip


@bp.url_value_preprocessor
def _logger_files_are_larger(endpoint: str | None, values: dict | None) -> None:
    """The import form's file may be larger than the app's request limit: raised for it alone, before the
    CSRF check reads the form."""
    if endpoint == "storage_pages.import_file":
        request.max_content_length = rules.MAX_LOGGER_BYTES


def _names() -> dict:
    return {"kind_names": KIND_NAMES, "status_names": STATUS_NAMES, "managers": rules.MANAGERS}


@bp.get("/storage")
@requires(*rules.READERS)
def index():
    return _index()


def _index(error: str | None = None, details: dict | None = None, status: int = 200):
    units = services.list_units(reader(), g.actor)
    held = quarantine.quarantined_containers(reader(), g.actor)
    return render_template(
        "storage/index.html", units=units, kinds=rules.UNIT_KINDS, error=error, details=details or {},
        form=request.form, quarantined=held, deciders=quarantine.DECIDERS, **_names(),
    ), status  # fmt: skip


@bp.post("/storage")
@requires(*rules.MANAGERS)
def create():
    data = form_data(request.form, tuple(UnitIn().fields))
    try:
        unit = services.create_unit(uow(), g.actor, load_form(UnitIn, data))
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _index(message, details, status)
    return redirect(url_for("storage_pages.detail", unit_id=unit["unit_id"]))


def _chart(unit: dict) -> Markup:
    words = {
        "title": gettext("Temperature of %(unit)s", unit=unit["unit_id"]),
        "desc": gettext(
            "%(count)s readings; allowed range %(range)s; %(n)s excursions, %(minutes)s min out of range",
            count=len(unit["readings"]), range=unit["range_text"], n=len(unit["excursions"]),
            minutes=unit["minutes_out_of_range"],
        ),
        "band": gettext("Allowed range %(range)s", range=unit["range_text"]),
        "x_axis": gettext("Time (%(zone)s)", zone=current_app.config["SITE_TIMEZONE"]),
        "y_axis": "°C",
        "empty": gettext("No readings in this period"),
    }  # fmt: skip
    svg = temperature_svg(
        [(r["at"], r["temperature_c"]) for r in unit["readings"]],
        (unit["min_temperature_c"], unit["max_temperature_c"]),
        [(e["start"], e["end"]) for e in unit["excursions"]],
        unit["since"], unit["until"], zone=current_app.config["SITE_TIMEZONE"], words=words,
    )  # fmt: skip
    return Markup(svg)  # noqa: S704 - drawn here, every text in it escaped


def _detail(unit_id: str, error: str | None = None, details: dict | None = None, status: int = 200):
    raw = {k: v for k, v in request.args.items() if v and k in ("since", "until")}
    try:
        period = PeriodQuery().load(raw)
    except Exception:  # noqa: BLE001 - an unreadable period shows the default one
        period = {"since": None, "until": None}
    unit = services.get_unit(reader(), g.actor, unit_id, period["since"], period["until"])
    return render_template(
        "storage/detail.html", unit=unit, chart=_chart(unit), error=error, details=details or {},
        form=request.form, period=raw, **_names(),
    ), status  # fmt: skip


@bp.get("/storage/<unit_id>")
@requires(*rules.READERS)
def detail(unit_id: str):
    return _detail(unit_id)


@bp.post("/storage/<unit_id>/move")
@requires(*rules.MANAGERS)
def move(unit_id: str):
    data = form_data(request.form, tuple(MoveIn().fields), time_fields=("at",))
    try:
        services.move_container(uow(), g.actor, unit_id, load_form(MoveIn, data))
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _detail(unit_id, message, details, status)
    return redirect(url_for("storage_pages.detail", unit_id=unit_id))


@bp.post("/storage/<unit_id>/import")
@requires(*rules.MANAGERS)
def import_file(unit_id: str):
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise FormRefused(gettext("Choose the logger's CSV file"), 422, {"file": [gettext("missing")]})
        services.import_logger_file(
            uow(), g.actor, unit_id, upload.read(), zone=current_app.config["SITE_TIMEZONE"],
            time_column=request.form.get("time_column") or None,
            temperature_column=request.form.get("temperature_column") or None,
            unit=request.form.get("unit") or None,
        )  # fmt: skip
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _detail(unit_id, message, details, status)
    return redirect(url_for("storage_pages.detail", unit_id=unit_id))


@bp.post("/storage/quarantine/<container_id>")
@requires(*quarantine.DECIDERS)
def decide_quarantine(container_id: str):
    """QA's signed decision on a container in quarantine, from the list on the storage page."""
    data = form_data(request.form, tuple(QuarantineDecisionIn().fields))
    try:
        body = load_form(QuarantineDecisionIn, data)
        quarantine.decide_quarantine(
            uow(), g.actor, container_id, body["decision"], body["reason"], body["password"], login_policy(),
            body.get("meaning"),
        )  # fmt: skip
    except NotFound:
        raise  # an unknown container is the error page
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _index(message, details, status)
    return redirect(url_for("storage_pages.index"))
