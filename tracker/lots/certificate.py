"""The certificate of analysis of a lot as a PDF (reportlab): lot, QC results against specification and
the disposition signatures. Takes plain data; knows nothing of Flask or the database."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

MATERIAL_NAMES = {"ucmsc": "UC-MSC (umbilical cord mesenchymal stromal cells)", "placebo": "Placebo vehicle"}
STATE_WORDS = {"pass": "PASS", "fail": "FAIL", "missing": "MISSING"}


def _utc(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M UTC") -> str:
    return value.astimezone(dt.UTC).strftime(fmt) if value else "-"


def _cells(count: float) -> str:
    mantissa, exponent = f"{count:.2e}".split("e")
    return f"{mantissa} x 10^{int(exponent)}"


def _value(value: Any, unit: str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:g}"
        return f"{text} {unit}" if unit and unit != "%" else f"{text}{unit or ''}"
    return str(value)


def _p(text: str, style: Any) -> Paragraph:
    return Paragraph(escape(text), style)


def render_certificate(
    lot: dict[str, Any],
    *,
    protocol: str,
    study_title: str,
    site: str,
    generated_by: str,
    generated_at: dt.datetime,
) -> bytes:
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=8, leading=10)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        title=f"Certificate of analysis {lot['lot_number']}", author=site,
    )  # fmt: skip
    story: list[Any] = [
        _p("Certificate of analysis", styles["Title"]),
        _p(f"{protocol} · {study_title}", body),
        Spacer(1, 4 * mm),
    ]
    facts = [
        ("Lot number", lot["lot_number"]),
        ("Material", MATERIAL_NAMES.get(lot["material"], lot["material"])),
        ("Status", lot["status"].upper()),
        ("Manufactured", _utc(lot["manufactured_at"])),
        ("Expires", _utc(lot["expires_at"])),
        ("Containers", f"{lot['container_count']} x {lot['volume_ml_per_container']:g} mL"),
    ]
    if lot.get("cells_per_container") is not None:
        facts.append(("Cells per container", _cells(lot["cells_per_container"])))
    for label, key in (("Cord donor code", "donor_code"), ("Cell bank", "cell_bank"), ("Passage", "passage")):
        if lot.get(key) is not None:
            facts.append((label, str(lot[key])))
    table = Table([[_p(a, body), _p(b, body)] for a, b in facts], colWidths=[45 * mm, 125 * mm])
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story += [table, Spacer(1, 5 * mm), _p("Results against specification", styles["Heading2"])]

    rows = [["Test", "Specification", "Result", "Verdict", "Entered by"]]
    entered = {r["result_id"]: r for r in lot["qc_results"]}
    for line in lot["qc_summary"]:
        result = entered.get(line["result_id"]) if line["result_id"] else None
        who = f"{result['entered_by_name']} {_utc(result['entered_at'])}" if result else "-"
        rows.append(
            [
                line["test"],
                line["specification"],
                _value(line["value"], line["unit"]),
                STATE_WORDS[line["state"]],
                _p(who, small),
            ]
        )
    results = Table(rows, colWidths=[28 * mm, 32 * mm, 30 * mm, 22 * mm, 58 * mm], repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf1")),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for index, line in enumerate(lot["qc_summary"], start=1):
        colour = {"pass": "#1b7f3b", "fail": "#b00020", "missing": "#5f6368"}[line["state"]]
        style.append(("TEXTCOLOR", (3, index), (3, index), colors.HexColor(colour)))
    results.setStyle(TableStyle(style))
    story.append(results)
    superseded = [r for r in lot["qc_results"] if not r["current"]]
    if superseded:
        story += [Spacer(1, 3 * mm), _p("Superseded results (kept on record)", styles["Heading3"])]
        for r in superseded:
            why = f" - correction: {r['reason']}" if r["reason"] else ""
            story.append(
                _p(
                    f"#{r['result_id']} {r['test']} = {_value(r['value'], r['unit'])} "
                    f"(entered by {r['entered_by_name']} {_utc(r['entered_at'])}), superseded by "
                    f"#{r['superseded_by']}{why}",
                    small,
                )
            )

    story += [Spacer(1, 5 * mm), _p("Disposition", styles["Heading2"])]
    if not lot["signatures"]:
        story.append(_p("NOT RELEASED: this lot carries no QA disposition signature.", body))
    for sig in lot["signatures"]:
        lines = [
            f"{sig['action'].capitalize()} electronically signed by {sig['signed_by_name']} "
            f"({sig['signed_by']}, {sig['signed_by_role']})",
            f"Signed at: {_utc(sig['signed_at'], '%Y-%m-%d %H:%M:%S UTC')}",
            f"Meaning: {sig['meaning']}",
        ]
        if sig["reason"]:
            lines.append(f"Reason: {sig['reason']}")
        story += [_p(text, body) for text in lines] + [Spacer(1, 2 * mm)]
    if lot["status"] != "released":
        story.append(_p(f"This lot is {lot['status'].upper()}: not for clinical use.", body))

    story += [
        Spacer(1, 8 * mm),
        _p(f"Generated {_utc(generated_at)} by {generated_by} at {site} from the tracker's records.", small),
    ]
    doc.build(story)
    return buffer.getvalue()
