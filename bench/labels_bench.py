"""Label rendering figures, one JSON line each: {"name", "value", "unit", "floor", "ratio"}.

The floor is raw reportlab drawing the same text and QR modules onto the same pages with every position
worked out beforehand (no validation, layout, wrapping or QR encoding). Goal: a 200-label sheet in 0.5 s.
Run: python bench/labels_bench.py
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from labels import render_label_pdf, render_label_zpl, render_sheet_pdf  # noqa: E402
from labels.fonts import label_font  # noqa: E402
from labels.pdf import (  # noqa: E402
    HEIGHT,
    MARGIN,
    MODULE,
    QR_SIDE,
    QUIET_ZONE,
    SHEET_COLUMNS,
    SHEET_LEFT,
    SHEET_ROWS,
    SHEET_TOP,
    SIZE,
    WIDTH,
    layout,
    qr_bottom,
)
from labels.qr import dark_runs, qr_matrix  # noqa: E402
from tests.unit.labelkit import sample_label  # noqa: E402

COUNT = 200


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def floor_sheet(prepared) -> bytes:
    font = label_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=font.regular)
    per_page = SHEET_COLUMNS * SHEET_ROWS
    for index, (lines, rects) in enumerate(prepared):
        if index and index % per_page == 0:
            canvas.showPage()
        row, column = divmod(index % per_page, SHEET_COLUMNS)
        dx = SHEET_LEFT + column * WIDTH
        dy = A4[1] - SHEET_TOP - (row + 1) * HEIGHT
        for name, size, x, y, text in lines:
            canvas.setFont(name, size)
            canvas.drawString(dx + x, dy + y, text)
        path = canvas.beginPath()
        for x, y, w, h in rects:
            path.rect(dx + x, dy + y, w, h)
        canvas.drawPath(path, stroke=0, fill=1)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def prepare(labels):
    font = label_font()
    origin_x = WIDTH - MARGIN - QR_SIDE + QUIET_ZONE * MODULE
    origin_y = qr_bottom() + QUIET_ZONE * MODULE + SIZE * MODULE
    return [
        (
            [(font.bold if ln.bold else font.regular, ln.size, ln.x, ln.y, ln.text) for ln in layout(label)],
            [
                (origin_x + c * MODULE, origin_y - (r + 1) * MODULE, n * MODULE, MODULE)
                for r, c, n in dark_runs(label.qr_payload)
            ],
        )
        for label in labels
    ]


def emit(name: str, value: float, unit: str, floor: float | None) -> None:
    ratio = round(value / floor, 2) if floor else None
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, "floor": floor, "ratio": ratio}))


def main() -> None:
    labels = [sample_label() for _ in range(COUNT)]
    render_label_pdf(labels[0])  # register fonts outside the timings

    prepared = prepare(labels)
    floor = round(best_of(5, lambda: floor_sheet(prepared)), 4)

    def cold() -> None:
        qr_matrix.cache_clear()
        dark_runs.cache_clear()
        render_sheet_pdf(labels)

    emit(f"sheet_pdf_{COUNT}_labels_cold_qr", best_of(5, cold), "s", floor)
    emit(f"sheet_pdf_{COUNT}_labels_cached_qr", best_of(5, lambda: render_sheet_pdf(labels)), "s", floor)
    emit("sheet_pdf_goal", 0.5, "s", None)
    single_floor = round(best_of(20, lambda: floor_sheet(prepared[:1])), 4)
    emit("label_pdf_one", best_of(20, lambda: render_label_pdf(labels[0])), "s", single_floor)
    emit(f"label_zpl_{COUNT}", best_of(5, lambda: [render_label_zpl(label) for label in labels]), "s", None)


if __name__ == "__main__":
    main()
