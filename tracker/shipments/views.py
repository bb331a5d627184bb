"""Shipment pages: the list, a new shipment (GMP), a shipment with its manifest, the dispatch (GMP) and the
receipt by scanning (the pharmacist: one field taking scan after scan, the damaged ones, the logger file).
No blinded ward role sees any of it; GMP and QA read the manifest only, never the pharmacy's use."""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup

from tracker.errors import DomainError
from tracker.lots import quarantine
from tracker.lots.schemas import QuarantineDecisionIn
from tracker.shipments import rules, services
from tracker.shipments.schemas import ReceiptIn, ShipmentIn
from tracker.sites import rules as site_rules
from tracker.sites import services as site_services
from tracker.storage import rules as storage_rules
from tracker.storage.chart import temperature_svg
from tracker.translation import N_
from tracker.web.context import login_policy, reader, uow
from tracker.web.forms import FormRefused, form_data, load_form, refusal
from tracker.web.guard import requires
from tracker.web.pages import WORKSPACES

bp = Blueprint("shipments_pages", __name__)

WORKSPACES.append((N_("Shipments"), "shipments_pages.index", rules.READERS))

STATUS_NAMES = {"planned": N_("Planned"), "dispatched": N_("Dispatched"), "received": N_("Received")}
DECISION_NAMES = {"release": N_("Released"), "destroy": N_("Destroyed")}


@bp.url_value_preprocessor
def _logger_files_are_larger(endpoint: str | None, values: dict | None) -> None:
    if endpoint in ("shipments_pages.receipt", "shipments_pages.attach_logger"):
        request.max_content_length = storage_rules.MAX_LOGGER_BYTES


def _scans(text: str) -> list[str]:
    """What a keyboard wedge typed into the one scan field: one container ID a line (or spaces, commas)."""
    return [part for part in text.replace(",", " ").split() if part.strip()]


def _names() -> dict:
    return {"status_names": STATUS_NAMES, "senders": rules.SENDERS, "receivers": rules.RECEIVERS,
            "deciders": quarantine.DECIDERS, "decision_names": DECISION_NAMES}  # fmt: skip


@bp.get("/shipments")
@requires(*rules.READERS)
def index():
    return render_template("shipments/index.html", shipments=services.list_shipments(reader()), **_names())


def _new(error: str | None = None, details: dict | None = None, status: int = 200):
    return render_template(
        "shipments/new.html", error=error, details=details or {}, form=request.form,
        sites=site_services.list_sites(reader()), treats=site_rules.TREATS,
        **_names(),
    ), status  # fmt: skip


@bp.get("/shipments/new")
@requires(*rules.SENDERS)
def new():
    return _new()


@bp.post("/shipments")
@requires(*rules.SENDERS)
def create():
    data = form_data(
        request.form, ("destination_site", "from_site", "shipper_unit_id", "courier", "tracking_number")
    )
    data["container_ids"] = _scans(request.form.get("container_ids", ""))
    try:
        if not data["container_ids"]:
            raise FormRefused(
                gettext("Scan the containers of the kits"), 422, {"container_ids": [gettext("missing")]}
            )
        made = services.create_shipment(uow(), g.actor, load_form(ShipmentIn, data))
    except (DomainError, FormRefused) as exc:
        message, status, details = refusal(exc)
        return _new(message, details, status)
    return redirect(url_for("shipments_pages.detail", shipment_id=made["shipment_id"]))


def _chart(shipment_id: str, road: dict | None) -> Markup | None:
    """The dry shipper's temperature over the journey, drawn by tracker/storage/chart.py."""
    if road is None:
        return None
    zone = current_app.config["SITE_TIMEZONE"]
    words = {
        "title": gettext("Temperature of shipment %(shipment)s in %(unit)s", shipment=shipment_id,
                         unit=road["unit_id"]),
        "desc": gettext(
            "%(count)s readings; allowed range %(range)s; %(n)s excursions, %(minutes)s min out of range",
            count=len(road["readings"]), range=road["range_text"], n=len(road["excursions"]),
            minutes=road["minutes_out_of_range"],
        ),
        "band": gettext("Allowed range %(range)s", range=road["range_text"]),
        "x_axis": gettext("Time (%(zone)s)", zone=zone),
        "y_axis": "°C",
        "empty": gettext("No readings from the dry shipper for this journey"),
    }  # fmt: skip
    svg = temperature_svg(
        [(r["at"], r["temperature_c"]) for r in road["readings"]],
        (road["min_temperature_c"], road["max_temperature_c"]),
        [(e["start"], e["end"]) for e in road["excursions"]],
        road["since"], road["until"], zone=zone, words=words,
    )  # fmt: skip
    return Markup(svg)  # noqa: S704 - drawn by the storage chart, every text in it escaped


def _detail(shipment_id: str, error: str | None = None, details: dict | None = None, status: int = 200):
    shipment = services.get_shipment(reader(), shipment_id)
    road = services.shipment_temperatures(reader(), g.actor, shipment_id)
    return render_template(
        "shipments/detail.html", shipment=shipment, road=road, chart=_chart(shipment["shipment_id"], road),
        error=error, details=details or {}, form=request.form, **_names(),
    ), status  # fmt: skip


@bp.get("/shipments/<shipment_id>")
@requires(*rules.READERS)
def detail(shipment_id: str):
    return _detail(shipment_id)


@bp.post("/shipments/<shipment_id>/dispatch")
@requires(*rules.SENDERS)
def dispatch(shipment_id: str):
    try:
        services.dispatch(uow(), g.actor, shipment_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        message, status, details = refusal(exc)
        return _detail(shipment_id, message, details, status)
    return redirect(url_for("shipments_pages.detail", shipment_id=shipment_id))


def _damaged(text: str) -> list[dict]:
    """One damaged container a line: its ID, then the note."""
    found = []
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if parts:
            found.append({"container_id": parts[0], "note": parts[1] if len(parts) > 1 else None})
    return found


def _uploaded() -> str | None:
    """The logger file sent with a form, as text (a file's CR LF are no typed control characters)."""
    upload = request.files.get("logger_file")
    if upload is None or not upload.filename:
        return None
    content = upload.read()
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("latin-1")


@bp.post("/shipments/<shipment_id>/receipt")
@requires(*rules.RECEIVERS)
def receipt(shipment_id: str):
    data: dict = {
        "container_ids": _scans(request.form.get("container_ids", "")),
        "damaged": _damaged(request.form.get("damaged", "")),
    }
    try:
        body = load_form(ReceiptIn, data)
        body["logger_csv"] = _uploaded()
        services.receive(uow(), g.actor, shipment_id, body, current_app.config["SITE_TIMEZONE"])
    except (DomainError, FormRefused) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        message, status, details = refusal(exc)
        return _detail(shipment_id, message, details, status)
    return redirect(url_for("shipments_pages.detail", shipment_id=shipment_id))


@bp.post("/shipments/<shipment_id>/quarantine-decision")
@requires(*quarantine.DECIDERS)
def decide_quarantine(shipment_id: str):
    """QA's one signed decision for every container the shipment's excursion still holds."""
    data = form_data(request.form, tuple(QuarantineDecisionIn().fields))
    try:
        body = load_form(QuarantineDecisionIn, data)
        services.decide_quarantine(
            uow(), g.actor, shipment_id, body["decision"], body["reason"], body["password"], login_policy(),
            body.get("meaning"),
        )  # fmt: skip
    except (DomainError, FormRefused) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        message, status, details = refusal(exc)
        return _detail(shipment_id, message, details, status)
    return redirect(url_for("shipments_pages.detail", shipment_id=shipment_id))


@bp.post("/shipments/<shipment_id>/logger")
@requires(*rules.RECEIVERS)
def attach_logger(shipment_id: str):
    """The logger file of a shipment received without one."""
    try:
        text = _uploaded()
        if not text:
            raise FormRefused(gettext("Choose the logger file"), 422, {"logger_file": [gettext("missing")]})
        services.attach_logger(uow(), g.actor, shipment_id, text, current_app.config["SITE_TIMEZONE"])
    except (DomainError, FormRefused) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        message, status, details = refusal(exc)
        return _detail(shipment_id, message, details, status)
    return redirect(url_for("shipments_pages.detail", shipment_id=shipment_id))
