"""A shipment's receipt report as files, alike for the pages and the API: expected against received (missing,
extra, damaged), courier, tracking number, times, the dry shipper's minutes out of range and its excursions,
what the excursion put in quarantine and QA's decisions. The CSV carries the provenance headers of every
export; the PDF, in the reader's language, draws the journey's chart and ends with a signature block. Readers
as for the shipment: GMP, the pharmacy and QA, lot-level (never what the pharmacy did with a container)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, current_app, g
from flask_babel import gettext

from tracker.audit import changes
from tracker.audit.provenance import csv_response
from tracker.audit.services import read_chain_head
from tracker.db import utcnow
from tracker.pdf import Provenance, Section, render_report
from tracker.reports.temperature_chart import temperature_drawing
from tracker.reports.wording import report_words, study_name, yes_no
from tracker.shipments import rules as shipment_rules
from tracker.shipments import services as shipments
from tracker.translation import N_
from tracker.web.context import report_reader
from tracker.web.filters import site_zone

RECEIPT_REPORT_ROLES = shipment_rules.READERS

STATUS_WORDS = {"planned": N_("Planned"), "dispatched": N_("Dispatched"), "received": N_("Received")}
DECISION_WORDS = {"release": N_("Released"), "destroy": N_("Destroyed")}

RECEIPT_COLUMNS = [
    "record", "shipment_id", "status", "from_site", "destination_site", "courier", "tracking_number",
    "shipper_unit_id", "created_at", "created_by", "dispatched_at", "dispatched_by", "received_at",
    "received_by", "readings", "minutes_out_of_range", "container_id", "lot_number", "kit_no", "outcome",
    "damaged", "note", "start", "end", "min_c", "max_c", "beyond_limit", "deviation_id", "quarantined_at",
    "decision", "decided_by", "decided_by_name", "decided_at", "meaning", "reason",
]  # fmt: skip


def _word(words: dict[str, str], code: str) -> str:
    """A code in the reader's words (kept apart: the catalogue's extractor would take the key for a word)."""
    return gettext(words[code])


def _utc(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(dt.UTC).isoformat()


def _outcome(shipment: dict[str, Any], line: dict[str, Any]) -> str:
    """A container's receipt as a code: expected (not received yet), received, missing or extra."""
    if not line.get("on_manifest", True):
        return "extra"
    if shipment["status"] != "received":
        return "expected"
    return "received" if line["received"] else "missing"


def _lines(shipment: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's lines, then the containers received that were not on it."""
    extra = [
        {"container_id": c, "lot_number": None, "kit_no": None, "received": True,
         "damaged": c in shipment["damaged"], "note": None, "on_manifest": False}
        for c in shipment["extra"]
    ]  # fmt: skip
    return [*shipment["manifest"], *extra]


def _read(shipment_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    shipment = shipments.get_shipment(report_reader(), shipment_id)
    return shipment, shipments.shipment_temperatures(report_reader(), g.actor, shipment["shipment_id"])


def receipt_csv_response(shipment_id: str) -> Response:
    """One CSV: a `shipment` row (sites, courier, tracking, times, minutes out of range), a `container` row
    per container (`outcome` expected, received, missing or extra; damaged with its note), an `excursion` row
    per excursion of the journey and a `quarantine` row per container held, with QA's decision."""
    head = read_chain_head(report_reader())
    shipment, road = _read(shipment_id)
    base = {"shipment_id": shipment["shipment_id"]}
    rows: list[dict[str, Any]] = [{
        "record": "shipment", **base, "status": shipment["status"], "from_site": shipment["from_site"],
        "destination_site": shipment["destination_site"], "courier": shipment["courier"],
        "tracking_number": shipment["tracking_number"], "shipper_unit_id": shipment["shipper_unit_id"],
        "created_at": _utc(shipment["created_at"]), "created_by": shipment["created_by"],
        "dispatched_at": _utc(shipment["dispatched_at"]), "dispatched_by": shipment["dispatched_by"],
        "received_at": _utc(shipment["received_at"]), "received_by": shipment["received_by"],
        "readings": shipment["readings_count"], "minutes_out_of_range": shipment["minutes_out_of_range"],
    }]  # fmt: skip
    rows += [
        {"record": "container", **base, "container_id": line["container_id"],
         "lot_number": line["lot_number"], "kit_no": line["kit_no"], "outcome": _outcome(shipment, line),
         "damaged": "yes" if line["damaged"] else "no", "note": line["note"]}
        for line in _lines(shipment)
    ]  # fmt: skip
    rows += [
        {"record": "excursion", **base, "shipper_unit_id": road["unit_id"], "start": _utc(e["start"]),
         "end": _utc(e["end"]), "minutes_out_of_range": e["minutes"], "min_c": e["min_c"],
         "max_c": e["max_c"], "beyond_limit": "yes" if e["beyond_limit"] else "no"}
        for e in (road["excursions"] if road else [])
    ]  # fmt: skip
    rows += [
        {"record": "quarantine", **base, "container_id": q["container_id"], "kit_no": q["kit_no"],
         "start": _utc(q["excursion_start"]), "end": _utc(q["excursion_end"]),
         "deviation_id": q["deviation_id"],
         "quarantined_at": _utc(q["quarantined_at"]), "decision": q["decision"] or "",
         "decided_by": q["decided_by"], "decided_by_name": q["decided_by_name"],
         "decided_at": _utc(q["decided_at"]), "meaning": q["meaning"], "reason": q["reason"]}
        for q in shipment["quarantine"]
    ]  # fmt: skip
    return csv_response(RECEIPT_COLUMNS, rows, f"receipt-{shipment['shipment_id']}.csv", g.actor, head)


def receipt_pdf_response(shipment_id: str) -> Response:
    """The receipt a reviewer signs: the shipment's facts, the chart of the journey, expected against
    received, the excursions, and what was quarantined with QA's decisions."""
    provenance = Provenance(
        utcnow(), g.actor.username, read_chain_head(report_reader()), current_app.config["SITE_NAME"]
    )
    shipment, road = _read(shipment_id)
    zone = site_zone()

    def when(value: object, by: str | None = None) -> str:
        if value is None:
            return "—"
        return changes.local_time(value, zone) + (f" · {by}" if by else "")

    lines = _lines(shipment)
    outcome_words = {"expected": gettext("Expected"), "received": gettext("Received"),
                     "missing": gettext("Missing"), "extra": gettext("Not on the manifest")}  # fmt: skip
    counts = gettext(
        "%(expected)s expected, %(received)s received, %(missing)s missing, %(extra)s not on the manifest, "
        "%(damaged)s damaged",
        expected=len(shipment["manifest"]), received=sum(1 for c in shipment["manifest"] if c["received"]),
        missing=len(shipment["missing"]), extra=len(shipment["extra"]), damaged=len(shipment["damaged"]),
    )  # fmt: skip
    minutes = shipment["minutes_out_of_range"]
    details = [
        (gettext("Study"), study_name(report_reader())),
        (gettext("Shipment"), shipment["shipment_id"]),
        (gettext("Status"), _word(STATUS_WORDS, shipment["status"])),
        (gettext("From"), shipment["from_site"]),
        (gettext("Destination site"), shipment["destination_site"]),
        (gettext("Courier"), shipment["courier"] or "—"),
        (gettext("Tracking number"), shipment["tracking_number"] or "—"),
        (gettext("Dry shipper"), shipment["shipper_unit_id"] or "—"),
        (gettext("Planned"), when(shipment["created_at"], shipment["created_by"])),
        (gettext("Dispatched"), when(shipment["dispatched_at"], shipment["dispatched_by"])),
        (gettext("Received"), when(shipment["received_at"], shipment["received_by"])),
        (gettext("Containers"), counts),
        (gettext("Time out of range"), "—" if minutes is None else gettext(
            "%(minutes)s min over %(count)s readings", minutes=f"{minutes:g}",
            count=shipment["readings_count"])),
        (gettext("Generated"), f"{when(provenance.generated_at)} · {g.actor.username}"),
    ]  # fmt: skip
    sections = []
    if road is not None:
        if road["range_text"]:
            details.insert(-1, (gettext("Allowed range"), road["range_text"]))
        chart = temperature_drawing(
            [(r["at"], r["temperature_c"]) for r in road["readings"]],
            (road["min_temperature_c"], road["max_temperature_c"]),
            [(e["start"], e["end"]) for e in road["excursions"]], road["since"], road["until"],
            zone=current_app.config["SITE_TIMEZONE"],
            x_axis=gettext("Time (%(zone)s)", zone=current_app.config["SITE_TIMEZONE"]),
            empty=gettext("No readings from the dry shipper for this journey"),
        )  # fmt: skip
        sections.append(Section(gettext("Temperature in the dry shipper"), [], [], figure=chart))
    sections.append(Section(
        gettext("Expected against received"),
        [gettext("Kit"), gettext("Container"), gettext("Lot"), gettext("Receipt"), gettext("Damaged"),
         gettext("Note")],
        [[line["kit_no"] or "—", line["container_id"], line["lot_number"] or "—",
          outcome_words[_outcome(shipment, line)], yes_no(line["damaged"]), line["note"] or ""]
         for line in lines],
        (20, 40, 45, 40, 25, 80),
    ))  # fmt: skip
    if road is not None:
        sections.append(Section(
            gettext("Excursions"),
            [gettext("Start"), gettext("End"), gettext("Minutes"), gettext("Lowest °C"),
             gettext("Highest °C"), gettext("Beyond the limit")],
            [[when(e["start"]), when(e["end"]), f"{e['minutes']:g}", f"{e['min_c']:.1f}", f"{e['max_c']:.1f}",
              yes_no(e["beyond_limit"])] for e in road["excursions"]],
            (50, 50, 30, 30, 30, 30),
        ))  # fmt: skip
    sections.append(Section(
        gettext("Quarantine and QA's decisions"),
        [gettext("Kit"), gettext("Container"), gettext("Deviation"), gettext("In quarantine since"),
         gettext("Decision"), gettext("Signed by"), gettext("Meaning"), gettext("Reason")],
        [[q["kit_no"] or "—", q["container_id"], q["deviation_id"] or "—", when(q["quarantined_at"]),
          _word(DECISION_WORDS, q["decision"]) if q["decision"] else gettext("Waiting for QA"),
          when(q["decided_at"], q["decided_by_name"]) if q["decision"] else "", q["meaning"] or "",
          q["reason"] or ""]
         for q in shipment["quarantine"]],
        (15, 30, 28, 35, 25, 45, 40, 40),
    ))  # fmt: skip
    title = gettext("Receipt of shipment %(shipment)s", shipment=shipment["shipment_id"])
    pdf = render_report(title, provenance, sections, wide=True, words=report_words(), details=details,
                        signature=True)  # fmt: skip
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=receipt-{shipment['shipment_id']}.pdf"
    return response
