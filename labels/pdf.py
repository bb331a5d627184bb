"""Print-ready PDF labels, 60 x 40 mm: one label per page, or an A4 sheet of many.

The layout is fixed: every label puts the same text in the same places at the same sizes, and only the
bag's identifiers, times and QR modules differ. Text that does not fit its place is refused, never shrunk.
A label with the study's Chinese text prints it with the English: the title and the bottom lines each get a
Chinese line (the title's names the route too). The field names stay English: beside the QR a Chinese name
would leave too little room for the widest identifiers the label takes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.data import LabelData, LabelDataError
from labels.fonts import LabelFont, chinese_font, label_font
from labels.qr import QUIET_ZONE, SIZE, dark_runs

WIDTH = 60 * mm
HEIGHT = 40 * mm
MARGIN = 1.5 * mm
MODULE = 0.5 * mm  # 33 modules with the quiet zone: 16.5 mm; 4 dots of a 203 dpi thermal printer
QR_SIDE = (SIZE + 2 * QUIET_ZONE) * MODULE

TITLE_SIZE = 7.0
BODY_SIZE = 5.6
KEY_SIZE = 4.7
BODY_LEADING = 7.2
SMALL_SIZE = 5.0
SMALL_LEADING = 6.2
KEY_WIDTH = 9.8 * mm  # the column of field names ("Participant", "Use by") before their values
CHINESE_TITLE_SIZE = 6.0

SHEET_COLUMNS = 3
SHEET_ROWS = 7
SHEET_LEFT = (A4[0] - SHEET_COLUMNS * WIDTH) / 2
SHEET_TOP = (A4[1] - SHEET_ROWS * HEIGHT) / 2


@dataclass(frozen=True)
class Line:
    x: float
    y: float
    text: str
    bold: bool
    size: float
    chinese: bool = False  # printed in the Chinese font


def layout(data: LabelData, font: LabelFont | None = None, cjk: LabelFont | None = None) -> list[Line]:
    """Every piece of text of the label, positioned in points from its bottom-left corner."""
    font = font or label_font()
    cjk = cjk or chinese_font()
    bilingual = data.bilingual and cjk is not None
    lines: list[Line] = []
    left = MARGIN
    right = WIDTH - MARGIN

    def put(
        x: float, y: float, text: str, bold: bool, size: float, room: float, chinese: bool = False
    ) -> float:
        """Places the text; answers its width."""
        face = cjk if chinese and cjk is not None else font
        printed = face.printable(text)
        width = face.width(printed, bold, size)
        if width > room:
            raise LabelDataError(f"{text!r} does not fit on the label")
        lines.append(Line(x, y, printed, bold, size, chinese))
        return width

    qr_left = WIDTH - MARGIN - QR_SIDE
    column = qr_left - left  # the text beside the QR ends where its quiet zone begins
    y = HEIGHT - MARGIN - TITLE_SIZE * 0.8
    put(left, y, data.product_text, True, TITLE_SIZE, right - left)
    if bilingual:
        y -= CHINESE_TITLE_SIZE + 0.6
        # The product and its route in Chinese (the English route has its row; there is no room beside it).
        title = "  ".join(text for text in (data.product_text_zh, data.route_zh) if text)
        put(left, y, title, False, CHINESE_TITLE_SIZE, column, True)

    y -= BODY_LEADING + 1.0
    for row in data.rows:
        put(left, y, row.key, False, KEY_SIZE, KEY_WIDTH - 1.0)
        put(left + KEY_WIDTH, y, row.value, row.emphasised, BODY_SIZE, column - KEY_WIDTH)
        y -= BODY_LEADING

    y = min(y + BODY_LEADING, qr_bottom()) - SMALL_LEADING - 1.0
    for text, chinese, bold, most in ((n.text, n.chinese, n.emphasised, n.most_lines) for n in data.notes):
        wrapped = _wrap(font, font.printable(text), bold, SMALL_SIZE, right - left, most)
        for index, part in enumerate(wrapped):
            width = put(left, y, part, bold, SMALL_SIZE, right - left)
            last = index == len(wrapped) - 1
            if bilingual and chinese and last and most == 1:  # a one-line statement: its Chinese beside it
                gap = font.width("  ", False, SMALL_SIZE)
                put(left + width + gap, y, chinese, False, SMALL_SIZE, right - left - width - gap, True)
            y -= SMALL_LEADING
        if bilingual and chinese and most > 1:
            put(left, y, chinese, False, SMALL_SIZE, right - left, True)
            y -= SMALL_LEADING
    if y + SMALL_LEADING - SMALL_SIZE * 0.25 < MARGIN:
        raise LabelDataError("the label text does not fit on the label")
    return lines


def qr_bottom() -> float:
    return HEIGHT - MARGIN - TITLE_SIZE - QR_SIDE


def _wrap(font: LabelFont, text: str, bold: bool, size: float, room: float, most: int) -> list[str]:
    """Greedy word wrap into at most `most` lines; refuses text that needs more."""
    parts: list[str] = []
    for word in text.split(" "):
        if parts and font.width(f"{parts[-1]} {word}", bold, size) <= room:
            parts[-1] = f"{parts[-1]} {word}"
        else:
            parts.append(word)
    if len(parts) > most:
        raise LabelDataError(f"{text!r} needs more than {most} lines on the label")
    return parts


def _draw(canvas: Canvas, data: LabelData, font: LabelFont) -> None:
    cjk = chinese_font()
    for line in layout(data, font, cjk):
        face = cjk if line.chinese and cjk is not None else font
        canvas.setFont(face.bold if line.bold else face.regular, line.size)
        canvas.drawString(line.x, line.y, line.text)
    # The whole symbol is one filled path: a rectangle per horizontal run of dark modules.
    origin_x = WIDTH - MARGIN - QR_SIDE + QUIET_ZONE * MODULE
    origin_y = qr_bottom() + QUIET_ZONE * MODULE + SIZE * MODULE  # top edge of the symbol
    path = canvas.beginPath()
    for row, column, length in dark_runs(data.qr_payload):
        path.rect(origin_x + column * MODULE, origin_y - (row + 1) * MODULE, length * MODULE, MODULE)
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1)


def _canvas(buffer: io.BytesIO, pagesize: tuple[float, float], font: LabelFont) -> Canvas:
    # invariant: no creation date or random document ID, so identical input gives identical bytes;
    # initialFontName: no stray reference to the unembedded Helvetica every canvas starts with.
    canvas = Canvas(buffer, pagesize=pagesize, invariant=1, pageCompression=1, initialFontName=font.regular)
    canvas.setTitle("Clinical trial label")
    canvas.setCreator("labels")
    canvas.setProducer("labels")
    return canvas


def render_label_pdf(data: LabelData) -> bytes:
    """One 60 x 40 mm page with the label; identical input gives identical bytes."""
    if not isinstance(data, LabelData):
        raise TypeError("render_label_pdf needs a LabelData")
    font = label_font()
    buffer = io.BytesIO()
    canvas = _canvas(buffer, (WIDTH, HEIGHT), font)
    _draw(canvas, data, font)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_sheet_pdf(labels: Iterable[LabelData]) -> bytes:
    """A4 pages of 3 x 7 labels of 60 x 40 mm, filled row by row, as many pages as needed."""
    items: Sequence[LabelData] = list(labels)
    if not items:
        raise LabelDataError("a sheet needs at least one label")
    if not all(isinstance(item, LabelData) for item in items):
        raise TypeError("render_sheet_pdf needs LabelData items")
    font = label_font()
    buffer = io.BytesIO()
    canvas = _canvas(buffer, A4, font)
    per_page = SHEET_COLUMNS * SHEET_ROWS
    for index, data in enumerate(items):
        if index and index % per_page == 0:
            canvas.showPage()
        cell = index % per_page
        row, column = divmod(cell, SHEET_COLUMNS)
        canvas.saveState()
        canvas.translate(SHEET_LEFT + column * WIDTH, A4[1] - SHEET_TOP - (row + 1) * HEIGHT)
        _draw(canvas, data, font)
        canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
