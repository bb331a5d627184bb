"""The temperature reports as files (CSV with provenance headers, PDF in the reader's language), alike for the
pages and the API: a unit's temperature history over a period (every reading; the PDF with its summary,
excursions, chart and a reviewer's signature), and the time out of range of every unit over a period with
the minutes each container that was in a unit during an excursion spent out of range. GMP, the pharmacy and
QA read them, as they read the storage pages; nurses and investigators do not."""

from __future__ import annotations

import datetime as dt

from flask import Response, current_app, g
from flask_babel import gettext

from tracker.audit import changes
from tracker.audit.provenance import csv_response
from tracker.audit.services import read_chain_head
from tracker.db import utcnow
from tracker.pdf import Provenance, Section, render_report
from tracker.reports.temperature_chart import temperature_drawing
from tracker.reports.wording import report_words, study_name, yes_no
from tracker.storage import reporting
from tracker.storage import rules as storage_rules
from tracker.translation import N_
from tracker.web.context import report_reader
from tracker.web.filters import site_zone

TEMPERATURE_REPORT_ROLES = storage_rules.READERS
# A week of minute readings is 10,080 rows: beyond this many the PDF prints the chart, the summary and the
# excursions, and leaves the readings to the CSV.
PDF_READINGS_LIMIT = 3000

KIND_WORDS = {
    "ln2_freezer": N_("LN2 freezer"), "vapour_phase_dewar": N_("Vapour-phase dewar"),
    "dry_shipper": N_("Dry shipper"), "fridge_2_8": N_("2–8 °C fridge"),
}  # fmt: skip

READING_COLUMNS = ["unit_id", "unit_name", "at_utc", "at_site", "temperature_c", "in_range"]
OUT_OF_RANGE_COLUMNS = [
    "record", "unit_id", "unit_name", "unit_kind", "since", "until", "readings", "excursions",
    "minutes_out_of_range", "start", "end", "min_c", "max_c", "beyond_limit", "container_id", "lot_number",
]  # fmt: skip


def _kind(kind: str) -> str:
    return gettext(KIND_WORDS[kind]) if kind in KIND_WORDS else kind


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _provenance() -> Provenance:
    return Provenance(
        utcnow(), g.actor.username, read_chain_head(report_reader()), current_app.config["SITE_NAME"]
    )


def _pdf(content: bytes, filename: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename={filename}"
    return response


def _celsius(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} °C"


# ---- a unit's temperature history ---------------------------------------------------------------------


def unit_temperatures_csv_response(unit_id: str, query: dict) -> Response:
    """Every reading of the period: its time in UTC and in the site's zone (ISO 8601), °C, in range."""
    head = read_chain_head(report_reader())
    unit = reporting.unit_temperatures(
        report_reader(), g.actor, unit_id, query.get("since"), query.get("until")
    )
    zone = site_zone()
    rows = [
        {"unit_id": unit["unit_id"], "unit_name": unit["name"], "at_utc": _utc(r["at"]),
         "at_site": r["at"].astimezone(zone).isoformat(), "temperature_c": r["temperature_c"],
         "in_range": "yes" if r["in_range"] else "no"}
        for r in unit["readings"]
    ]  # fmt: skip
    return csv_response(READING_COLUMNS, rows, f"temperatures-{unit['unit_id']}.csv", g.actor, head)


def unit_temperatures_pdf_response(unit_id: str, query: dict) -> Response:
    """The unit's history a reviewer signs: the unit, its range, the period and its summary, the chart,
    the excursions, then every reading."""
    provenance = _provenance()
    unit = reporting.unit_temperatures(
        report_reader(), g.actor, unit_id, query.get("since"), query.get("until")
    )
    zone = site_zone()

    def when(value: object) -> str:
        return "" if value is None else changes.local_time(value, zone)

    summary = unit["summary"]
    period = gettext("%(since)s to %(until)s", since=when(unit["since"]), until=when(unit["until"]))
    limit = unit["max_minutes_out_of_range"]
    details = [
        (gettext("Study"), study_name(report_reader())),
        (gettext("Storage unit"), f"{unit['unit_id']} — {unit['name']} ({unit['location']})"),
        (gettext("Kind"), _kind(unit["kind"])),
        (gettext("Allowed range"), unit["range_text"]),
        (gettext("Period"), period),
        (gettext("Readings"), str(summary["count"])),
        (gettext("Lowest, highest and mean"),
         f"{_celsius(summary['min_c'])} · {_celsius(summary['max_c'])} · {_celsius(summary['mean_c'])}"),
        (gettext("Time out of range"), gettext("%(minutes)s min", minutes=unit["minutes_out_of_range"])
         + ("" if limit is None else f" ({gettext('limit %(limit)s min per excursion', limit=limit)})")),
        (gettext("Generated"), f"{when(provenance.generated_at)} · {g.actor.username}"),
    ]  # fmt: skip
    chart = temperature_drawing(
        [(r["at"], r["temperature_c"]) for r in unit["readings"]],
        (unit["min_temperature_c"], unit["max_temperature_c"]),
        [(e["start"], e["end"]) for e in unit["excursions"]], unit["since"], unit["until"],
        zone=current_app.config["SITE_TIMEZONE"],
        x_axis=gettext("Time (%(zone)s)", zone=current_app.config["SITE_TIMEZONE"]),
        empty=gettext("No readings in this period"),
    )  # fmt: skip
    excursion_columns = [gettext("Start"), gettext("End"), gettext("Minutes"), gettext("Lowest °C"),
                         gettext("Highest °C"), gettext("Beyond the limit")]  # fmt: skip
    excursions = [
        [when(e["start"]), when(e["end"]), f"{e['minutes']:g}", f"{e['min_c']:.1f}", f"{e['max_c']:.1f}",
         yes_no(e["beyond_limit"])]
        for e in unit["excursions"]
    ]  # fmt: skip
    readings = [[when(r["at"]), f"{r['temperature_c']:.1f}", yes_no(r["in_range"])] for r in unit["readings"]]
    sections = [
        Section(gettext("Temperature chart"), [], [], figure=chart),
        Section(gettext("Excursions"), excursion_columns, excursions, (50, 50, 30, 30, 30, 30)),
    ]
    if len(readings) <= PDF_READINGS_LIMIT:
        sections.append(Section(gettext("Readings"), [gettext("Time"), gettext("°C"), gettext("In range")],
                                readings, (60, 30, 30)))  # fmt: skip
    else:
        details.append(
            (
                gettext("Readings table"),
                gettext(
                    "%(count)s readings are too many to print: every reading is in the CSV",
                    count=len(readings),
                ),
            )
        )
    title = gettext("Temperature history of %(unit)s", unit=unit["unit_id"])
    pdf = render_report(title, provenance, sections, wide=True, words=report_words(), details=details,
                        signature=True)  # fmt: skip
    return _pdf(pdf, f"temperatures-{unit['unit_id']}.pdf")


# ---- time out of range across units -------------------------------------------------------------------


def time_out_of_range_csv_response(query: dict) -> Response:
    """One CSV: per unit a row (`record` unit), its excursions (`excursion`) and the containers that were in
    it during one (`container`, with the minutes that container spent out of range)."""
    head = read_chain_head(report_reader())
    report = reporting.time_out_of_range(report_reader(), g.actor, query.get("since"), query.get("until"))
    since, until = _utc(report["since"]), _utc(report["until"])
    rows = []
    for u in report["units"]:
        base = {"unit_id": u["unit_id"], "unit_name": u["name"], "unit_kind": u["kind"], "since": since,
                "until": until}  # fmt: skip
        rows.append({"record": "unit", **base, "readings": u["readings"], "excursions": len(u["excursions"]),
                     "minutes_out_of_range": u["minutes_out_of_range"]})  # fmt: skip
        rows += [
            {"record": "excursion", **base, "minutes_out_of_range": e["minutes"], "start": _utc(e["start"]),
             "end": _utc(e["end"]), "min_c": e["min_c"], "max_c": e["max_c"],
             "beyond_limit": "yes" if e["beyond_limit"] else "no"}
            for e in u["excursions"]
        ]  # fmt: skip
        rows += [
            {"record": "container", **base, "excursions": c["excursions"],
             "minutes_out_of_range": c["minutes_out_of_range"], "container_id": c["container_id"],
             "lot_number": c["lot_number"]}
            for c in u["containers"]
        ]  # fmt: skip
    return csv_response(OUT_OF_RANGE_COLUMNS, rows, "time-out-of-range.csv", g.actor, head)


def time_out_of_range_pdf_response(query: dict) -> Response:
    """Per unit, its excursions and the containers they touched, for a reviewer to sign."""
    provenance = _provenance()
    report = reporting.time_out_of_range(report_reader(), g.actor, query.get("since"), query.get("until"))
    zone = site_zone()

    def when(value: object) -> str:
        return "" if value is None else changes.local_time(value, zone)

    units = report["units"]
    unit_rows = [
        [u["unit_id"], u["name"], _kind(u["kind"]), u["range_text"], u["readings"], len(u["excursions"]),
         f"{u['minutes_out_of_range']:g}"]
        for u in units
    ]  # fmt: skip
    excursion_rows = [
        [u["unit_id"], when(e["start"]), when(e["end"]), f"{e['minutes']:g}", f"{e['min_c']:.1f}",
         f"{e['max_c']:.1f}", yes_no(e["beyond_limit"])]
        for u in units
        for e in u["excursions"]
    ]  # fmt: skip
    container_rows = [
        [u["unit_id"], c["container_id"], c["lot_number"], c["excursions"], f"{c['minutes_out_of_range']:g}"]
        for u in units
        for c in u["containers"]
    ]  # fmt: skip
    period = gettext("%(since)s to %(until)s", since=when(report["since"]), until=when(report["until"]))
    limit = report["max_minutes_out_of_range"]
    details = [
        (gettext("Study"), study_name(report_reader())),
        (gettext("Period"), period),
        (gettext("Storage units"), str(len(units))),
        (gettext("Limit per excursion"), "—" if limit is None else gettext("%(minutes)s min", minutes=limit)),
        (gettext("Generated"), f"{when(provenance.generated_at)} · {g.actor.username}"),
    ]
    sections = [
        Section(gettext("Per unit"),
                [gettext("Storage unit"), gettext("Unit name"), gettext("Kind"), gettext("Allowed range"),
                 gettext("Readings"), gettext("Excursions"), gettext("Minutes out of range")],
                unit_rows, (30, 60, 40, 35, 25, 25, 35)),
        Section(gettext("Excursions"),
                [gettext("Storage unit"), gettext("Start"), gettext("End"), gettext("Minutes"),
                 gettext("Lowest °C"), gettext("Highest °C"), gettext("Beyond the limit")],
                excursion_rows, (30, 45, 45, 25, 25, 25, 30)),
        Section(gettext("Containers in a unit during an excursion"),
                [gettext("Storage unit"), gettext("Container"), gettext("Lot"), gettext("Excursions"),
                 gettext("Minutes out of range")],
                container_rows, (30, 40, 50, 25, 35)),
    ]  # fmt: skip
    pdf = render_report(gettext("Time out of range"), provenance, sections, wide=True, words=report_words(),
                        details=details, signature=True)  # fmt: skip
    return _pdf(pdf, "time-out-of-range.pdf")
