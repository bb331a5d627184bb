"""Label files and printing as HTTP answers, sent alike by the pharmacy pages and the API."""

from flask import Response, current_app, g

from tracker.config import parse_printer
from tracker.pharmacy import printing
from tracker.web.context import uow


def label_response(bag_id: str, label_format: str, reason: str | None) -> Response:
    """Print (and count) a bag's label and answer it as a file; shared with the pharmacy pages."""
    bag_id, rendered = printing.print_label(
        uow(), g.actor, bag_id, label_format, reason, time_zone=current_app.config["SITE_TIMEZONE"]
    )
    mimetype = "application/pdf" if label_format == "pdf" else "application/zpl"
    response = Response(rendered, mimetype=mimetype)
    # The file name carries the bag ID only: nothing that could differ between the arms.
    response.headers["Content-Disposition"] = f"inline; filename=label-{bag_id}.{label_format}"
    return response


def sheet_response(bag_ids: list[str], reason: str | None) -> Response:
    """Print (and count) the labels of many bags on A4 sheets; shared with the pharmacy pages."""
    rendered = printing.print_sheet(
        uow(), g.actor, bag_ids, reason, time_zone=current_app.config["SITE_TIMEZONE"]
    )
    response = Response(rendered, mimetype="application/pdf")
    response.headers["Content-Disposition"] = "inline; filename=labels.pdf"
    return response


def configured_printer() -> tuple[str, int] | None:
    setting = current_app.config.get("LABEL_PRINTER")
    return parse_printer(setting) if setting else None


def send_label(bag_id: str, reason: str | None) -> dict:
    """Send a bag's ZPL label to the configured printer; shared with the pharmacy pages."""
    return printing.send_label(
        uow(), g.actor, bag_id, reason, printer=configured_printer(),
        time_zone=current_app.config["SITE_TIMEZONE"],
        timeout=current_app.config.get("LABEL_PRINTER_TIMEOUT", 5.0),
    )  # fmt: skip
