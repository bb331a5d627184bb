"""A plain A4 report: title, provenance (generated when, by whom, from which audit head), then tables; each
page numbered "page X of Y", and a review and signature block at the end when the report asks for one.

Text is set in Helvetica; what its encoding cannot hold (Chinese, arrows) is set in WenQuanYi Micro Hei,
embedded in the PDF so that it prints the same on any computer (Debian's fonts-wqy-microhei, TrueType), or,
on a machine without it or for a character it lacks, in the Adobe CID font STSong-Light that PDF readers
provide. A report prints in English and in Chinese, and a Chinese name or reason in an English report too."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

BASE_FONT, BOLD_FONT, CJK_FONT = "Helvetica", "Helvetica-Bold", "STSong-Light"
EMBEDDED_CJK_FONT = "ReportCJK"
CJK_TRUETYPE = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


@dataclass(frozen=True)
class Words:
    """The report's own words, in the reader's language (tracker/reports/wording.py translates them)."""

    provenance: str = "Site {site} · generated {at} UTC by {by} · audit chain head seq {seq}, {hash}…"
    page: str = "page {page} of {pages}"
    none: str = "None."
    signature_heading: str = "Review and signature"
    signature_statement: str = "I have reviewed this report and found it complete and accurate."
    signature_fields: tuple[str, ...] = ("Name", "Role", "Signature", "Date")


@dataclass(frozen=True)
class Provenance:
    generated_at: dt.datetime
    generated_by: str
    chain_head: tuple[int, str]
    site: str

    def line(self, words: Words = Words()) -> str:
        seq, digest = self.chain_head
        at = f"{self.generated_at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}"
        return words.provenance.format(site=self.site, at=at, by=self.generated_by, seq=seq, hash=digest[:16])


@dataclass(frozen=True)
class Section:
    heading: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    widths: Sequence[float] | None = None  # in mm
    figure: Any = None  # a reportlab flowable (a chart) shown under the heading, before any table


@cache
def _cjk_font() -> str:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


@cache
def embedded_cjk_font(path: str = CJK_TRUETYPE) -> TTFont | None:
    """The TrueType font embedded for Chinese, or None when the machine has none (or cannot read it)."""
    if not os.path.isfile(path):
        return None
    try:
        font = TTFont(EMBEDDED_CJK_FONT, path, subfontIndex=0)
    except TTFError:
        return None
    pdfmetrics.registerFont(font)
    return font


@cache
def _font_for(char: str) -> str:
    """The font a character Helvetica cannot draw is set in: the embedded one when it has the glyph."""
    embedded = embedded_cjk_font()
    if embedded is not None and ord(char) in embedded.face.charToGlyph:
        return EMBEDDED_CJK_FONT
    return _cjk_font()


@cache
def _drawable(char: str) -> bool:
    """Whether Helvetica can draw `char`: reportlab sets the standard fonts in WinAnsi (cp1252)."""
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


_NOT_ASCII = re.compile(r"[^\x00-\x7f]+")


def markup(text: str) -> str:
    """`text` as Paragraph markup: escaped, line breaks kept, runs Helvetica cannot draw in the CJK font."""

    def fallback(match: re.Match) -> str:
        out, run, font = [], [], None
        for char in match.group(0):
            wanted = None if _drawable(char) else _font_for(char)
            if wanted != font and run:
                out.append(_wrap("".join(run), font))
                run = []
            run.append(char)
            font = wanted
        out.append(_wrap("".join(run), font))
        return "".join(out)

    return _NOT_ASCII.sub(fallback, escape(text)).replace("\n", "<br/>")


def _wrap(run: str, font: str | None) -> str:
    return f'<font name="{font}">{run}</font>' if font else run


def _cell(value: Any, style: Any) -> Paragraph:
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Paragraph(markup("" if value is None else str(value)), style)


def _numbered_canvas(draw_footer: Any) -> type[Canvas]:
    """A canvas that keeps its pages until the end, so that each footer can say how many there are."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._kept: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._kept.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for state in self._kept:
                self.__dict__.update(state)
                draw_footer(self, self._pageNumber, len(self._kept))
                super().showPage()
            super().save()

    return NumberedCanvas


def _footer_font(text: str) -> str:
    """One font for the footer line: Helvetica for English, else the one that has every character."""
    if all(_drawable(c) for c in text):
        return BASE_FONT
    fonts = {_font_for(c) for c in text if not _drawable(c)}
    embedded = embedded_cjk_font()
    if fonts == {EMBEDDED_CJK_FONT} and embedded and all(ord(c) in embedded.face.charToGlyph for c in text):
        return EMBEDDED_CJK_FONT
    return _cjk_font()


def _signature_block(words: Words, body: Any, heading: Any, width: float) -> KeepTogether:
    label_width = 45 * mm
    rows = [[Paragraph(markup(label), body), ""] for label in words.signature_fields]
    table = Table(
        rows, colWidths=[label_width, min(width - label_width, 120 * mm)], rowHeights=10 * mm, hAlign="LEFT"
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (1, 0), (1, -1), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    return KeepTogether(
        [
            Spacer(1, 8 * mm),
            Paragraph(markup(words.signature_heading), heading),
            Paragraph(markup(words.signature_statement), body),
            table,
        ]
    )


def render_report(
    title: str,
    provenance: Provenance,
    sections: Sequence[Section],
    *,
    wide: bool = False,
    words: Words = Words(),
    details: Sequence[tuple[str, str]] = (),
    signature: bool = False,
) -> bytes:
    """`details` are (label, value) lines under the title (study, filters); `signature` ends the report with
    a block a reviewer signs."""
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7.5, leading=9)
    body = styles["BodyText"].clone("body", fontSize=9, leading=11)
    heading, title_style = styles["Heading3"], styles["Title"]
    buffer = io.BytesIO()
    pagesize = landscape(A4) if wide else A4
    doc = SimpleDocTemplate(
        buffer, pagesize=pagesize, leftMargin=12 * mm, rightMargin=12 * mm, topMargin=14 * mm,
        bottomMargin=14 * mm, title=title, author=provenance.site,
    )  # fmt: skip

    def footer(canvas: Any, page: int, pages: int) -> None:
        text = f"{title} · {provenance.line(words)} · {words.page.format(page=page, pages=pages)}"
        canvas.saveState()
        canvas.setFont(_footer_font(text), 7)
        canvas.drawString(12 * mm, 7 * mm, text)
        canvas.restoreState()

    story: list[Any] = [Paragraph(markup(title), title_style)]
    story += [
        Paragraph(f'<font name="{BOLD_FONT}">{markup(label)}:</font> {markup(value)}', body)
        for label, value in details
    ]
    story.append(Paragraph(markup(provenance.line(words)), small))
    for section in sections:
        story += [Spacer(1, 4 * mm), Paragraph(markup(section.heading), heading)]
        if section.figure is not None:
            story.append(section.figure)
            if not section.columns:
                continue
        if not section.rows:
            story.append(Paragraph(markup(words.none), small))
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
    if signature:
        story.append(_signature_block(words, body, heading, doc.width))
    doc.build(story, canvasmaker=_numbered_canvas(footer))
    return buffer.getvalue()


def text_font(text: str) -> str:
    """The one font a drawn line of text (a chart's label) is set in: Helvetica when it can, else Chinese."""
    return _footer_font(text)
