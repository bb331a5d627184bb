"""The certificate of analysis of a lot as a PDF (reportlab): lot, QC results against specification and
the disposition signatures. Takes plain data, its words included (in the reader's language: the caller
translates them, tracker/lots/responses.py); knows nothing of Flask or the database. Chinese is set in the
reports' embedded font (tracker.pdf.markup)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from tracker.pdf import BOLD_FONT, markup

MATERIAL_NAMES = {"ucmsc": "UC-MSC (umbilical cord mesenchymal stromal cells)", "placebo": "Placebo vehicle"}

VERDICT_COLOURS = {"pass": "#1b7f3b", "fail": "#b00020", "missing": "#5f6368"}


def _same(text: str) -> str:
    return text


# A released lot's follow-up, as its status reads (tracker.lots.rules.disposition).
_STATUS_TEXT = {
    "released_results_pending": "released, results pending",
    "released_result_failed": "released, late result failed",
}


@dataclass(frozen=True)
class CertificateWords:
    """The certificate's words; English by default. `study` translates the study's own words (materials,
    tests, specifications, word results, signature meanings), `status` a lot status, `role` a role."""

    title: str = "Certificate of analysis"
    facts: Mapping[str, str] = field(default_factory=lambda: {
        "lot_number": "Lot number", "material": "Material", "status": "Status",
        "manufactured_at": "Manufactured", "expires_at": "Expires", "containers": "Containers",
        "cells_per_container": "Cells per container", "donor_code": "Cord donor code",
        "cell_bank": "Cell bank", "passage": "Passage", "results_pending": "Results pending",
    })  # fmt: skip
    results_heading: str = "Results against specification"
    columns: tuple[str, ...] = ("Test", "Specification", "Result", "Verdict", "Entered by")
    verdicts: Mapping[str, str] = field(
        default_factory=lambda: {"pass": "PASS", "fail": "FAIL", "missing": "MISSING"}
    )
    superseded_heading: str = "Superseded results (kept on record)"
    superseded: str = "#{result} {test} = {value} (entered by {name} {at}), superseded by #{by}"
    correction: str = " - correction: {reason}"
    disposition_heading: str = "Disposition"
    not_released: str = "NOT RELEASED: this lot carries no QA disposition signature."
    actions: Mapping[str, str] = field(
        default_factory=lambda: {"release": "Release", "reject": "Reject", "recall": "Recall"}
    )
    signed_by: str = "{action} electronically signed by {name} ({user}, {role})"
    signed_at: str = "Signed at: {at}"
    meaning: str = "Meaning: {meaning}"
    reason: str = "Reason: {reason}"
    not_for_use: str = "This lot is {status}: not for clinical use."
    generated: str = "Generated {at} by {by} at {site} from the tracker's records."
    study: Callable[[str], str] = _same
    status: Callable[[str], str] = lambda status: _STATUS_TEXT.get(status, status).upper()  # noqa: E731
    role: Callable[[str], str] = _same

    def material(self, material: str) -> str:
        translated = self.study(material)
        return MATERIAL_NAMES.get(material, material) if translated == material else translated


ENGLISH = CertificateWords()


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


def _result(value: Any, unit: str | None, words: CertificateWords) -> str:
    """A result as entered: a number with its unit, or a word result ("negative") in the reader's words."""
    return words.study(value) if isinstance(value, str) else _value(value, unit)


def _verdict(state: str, words: CertificateWords, style: Any) -> Paragraph:
    return Paragraph(f'<font color="{VERDICT_COLOURS[state]}">{markup(words.verdicts[state])}</font>', style)


def _p(text: str, style: Any) -> Paragraph:
    return Paragraph(markup(text), style)


def render_certificate(
    lot: dict[str, Any],
    *,
    protocol: str,
    study_title: str,
    site: str,
    generated_by: str,
    generated_at: dt.datetime,
    words: CertificateWords = ENGLISH,
) -> bytes:
    w = words
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=8, leading=10)
    head = body.clone("head", fontName=BOLD_FONT)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        title=f"{w.title} {lot['lot_number']}", author=site,
    )  # fmt: skip
    story: list[Any] = [
        _p(w.title, styles["Title"]),
        _p(f"{protocol} · {w.study(study_title)}", body),
        Spacer(1, 4 * mm),
    ]
    facts = [
        (w.facts["lot_number"], lot["lot_number"]),
        (w.facts["material"], w.material(lot["material"])),
        (w.facts["status"], w.status(lot.get("disposition") or lot["status"])),
        (w.facts["manufactured_at"], _utc(lot["manufactured_at"])),
        (w.facts["expires_at"], _utc(lot["expires_at"])),
        (w.facts["containers"], f"{lot['container_count']} x {lot['volume_ml_per_container']:g} mL"),
    ]
    if lot.get("results_pending"):
        pending = ", ".join(w.study(test) for test in lot["results_pending"])
        facts.append((w.facts.get("results_pending", "Results pending"), pending))
    if lot.get("cells_per_container") is not None:
        facts.append((w.facts["cells_per_container"], _cells(lot["cells_per_container"])))
    for key in ("donor_code", "cell_bank", "passage"):
        if lot.get(key) is not None:
            facts.append((w.facts[key], str(lot[key])))
    table = Table([[_p(a, body), _p(b, body)] for a, b in facts], colWidths=[45 * mm, 125 * mm])
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    story += [table, Spacer(1, 5 * mm), _p(w.results_heading, styles["Heading2"])]

    rows: list[list[Any]] = [[_p(column, head) for column in w.columns]]
    entered = {r["result_id"]: r for r in lot["qc_results"]}
    for line in lot["qc_summary"]:
        result = entered.get(line["result_id"]) if line["result_id"] else None
        who = f"{result['entered_by_name']} {_utc(result['entered_at'])}" if result else "-"
        rows.append(
            [
                _p(w.study(line["test"]), body),
                _p(w.study(line["specification"]), body),
                _p(_result(line["value"], line["unit"], w), body),
                _verdict(line["state"], w, body),
                _p(who, small),
            ]
        )
    results = Table(rows, colWidths=[28 * mm, 32 * mm, 30 * mm, 22 * mm, 58 * mm], repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8ecf1")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    results.setStyle(TableStyle(style))
    story.append(results)
    superseded = [r for r in lot["qc_results"] if not r["current"]]
    if superseded:
        story += [Spacer(1, 3 * mm), _p(w.superseded_heading, styles["Heading3"])]
        for r in superseded:
            why = w.correction.format(reason=r["reason"]) if r["reason"] else ""
            line = w.superseded.format(
                result=r["result_id"], test=w.study(r["test"]), value=_result(r["value"], r["unit"], w),
                name=r["entered_by_name"], at=_utc(r["entered_at"]), by=r["superseded_by"],
            )  # fmt: skip
            story.append(_p(line + why, small))

    story += [Spacer(1, 5 * mm), _p(w.disposition_heading, styles["Heading2"])]
    if not lot["signatures"]:
        story.append(_p(w.not_released, body))
    for sig in lot["signatures"]:
        lines = [
            w.signed_by.format(
                action=w.actions.get(sig["action"], sig["action"]), name=sig["signed_by_name"],
                user=sig["signed_by"], role=w.role(sig["signed_by_role"]),
            ),
            w.signed_at.format(at=_utc(sig["signed_at"], "%Y-%m-%d %H:%M:%S UTC")),
            w.meaning.format(meaning=w.study(sig["meaning"])),
        ]  # fmt: skip
        if sig["reason"]:
            lines.append(w.reason.format(reason=sig["reason"]))
        story += [_p(text, body) for text in lines] + [Spacer(1, 2 * mm)]
    if lot["status"] != "released":
        story.append(_p(w.not_for_use.format(status=w.status(lot["status"])), body))

    story += [
        Spacer(1, 8 * mm),
        _p(w.generated.format(at=_utc(generated_at), by=generated_by, site=site), small),
    ]
    doc.build(story)
    return buffer.getvalue()
