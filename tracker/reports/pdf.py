"""A plain A4 report: title, provenance (generated when, by whom, from which audit head), then tables."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle


@dataclass(frozen=True)
class Provenance:
    generated_at: dt.datetime
    generated_by: str
    chain_head: tuple[int, str]
    site: str

    def line(self) -> str:
        seq, digest = self.chain_head
        return (
            f"Site {self.site} · generated {self.generated_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC "
            f"by {self.generated_by} · audit chain head seq {seq}, {digest[:16]}…"
        )


@dataclass(frozen=True)
class Section:
    heading: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[float] | None = None  # in mm


def _cell(value: Any, style: Any) -> Paragraph:
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Paragraph(escape("" if value is None else str(value)), style)


def render_report(
    title: str, provenance: Provenance, sections: Sequence[Section], *, wide: bool = False
) -> bytes:
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    buffer = io.BytesIO()
    pagesize = landscape(A4) if wide else A4
    doc = SimpleDocTemplate(
        buffer, pagesize=pagesize, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=14 * mm,
        bottomMargin=14 * mm, title=title, author=provenance.site,
    )  # fmt: skip

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(12 * mm, 7 * mm, f"{title} · {provenance.line()} · page {document.page}")
        canvas.restoreState()

    story: list[Any] = [
        Paragraph(escape(title), styles["Title"]),
        Paragraph(escape(provenance.line()), small),
    ]
    for section in sections:
        story += [Spacer(1, 4 * mm), Paragraph(escape(section.heading), styles["Heading3"])]
        if not section.rows:
            story.append(Paragraph("None.", small))
            continue
        data = [[_cell(c, small) for c in section.columns]] + [
            [_cell(v, small) for v in r] for r in section.rows
        ]
        widths = [w * mm for w in section.widths] if section.widths else None
        table = LongTable(data, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
