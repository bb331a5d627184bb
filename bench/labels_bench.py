"""Label rendering figures, one JSON line each: {"name", "value", "unit", "floor", "ratio"}.

The floor is raw reportlab drawing the same text and QR modules onto the same pages with every position
worked out beforehand (no validation, layout, wrapping or QR encoding). Goal: a 200-label sheet in 0.5 s and
ratio (floor / time) >= 0.5. Run: python bench/labels_bench.py (bench/run.py runs it too).
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from bench.common import best_of, figure, print_table  # noqa: E402
from labels import LabelData, render_label_pdf, render_label_zpl, render_sheet_pdf  # noqa: E402
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
from tracker.pharmacy.bag_ids import new_bag_id  # noqa: E402
from tracker.pharmacy.payload import make_payload  # noqa: E402
from tracker.studies.definition import StudyDefinition, parse_definition  # noqa: E402
from tracker.studies.services import read_definition_file  # noqa: E402

COUNT = 200
PREPARED = datetime(2026, 3, 14, 1, 26, 41, tzinfo=UTC)


@cache
def _study() -> StudyDefinition:
    return parse_definition(read_definition_file("umsis"))


def sample_label() -> LabelData:
    """A label as the pharmacy prints it for UMSIS, with a fresh random bag ID."""
    study = _study()
    bag_id = new_bag_id()
    return LabelData(
        product_text=study.label["product"], route=study.label["route"], volume_text="100 mL",
        protocol=study.protocol, participant_id="UMS-01-0042", randomization_code="R-A-0107", bag_id=bag_id,
        prepared_at=PREPARED, use_by=PREPARED + timedelta(minutes=study.use_by_minutes),
        storage=study.label["storage"], statement=study.label["statement"],
        emergency_contact=study.label["emergency_contact"], time_zone="Asia/Shanghai",
        qr_payload=make_payload(bag_id, "bench-label-key"),
    )  # fmt: skip


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


def run(quick: bool = False) -> None:
    runs = 2 if quick else 5
    labels = [sample_label() for _ in range(COUNT)]
    render_label_pdf(labels[0])  # register fonts outside the timings

    prepared = prepare(labels)
    floor = best_of(runs, lambda: floor_sheet(prepared))

    def cold() -> None:
        qr_matrix.cache_clear()
        dark_runs.cache_clear()
        render_sheet_pdf(labels)

    for name, work in (
        ("QR matrices computed", cold),
        ("QR matrices cached", lambda: render_sheet_pdf(labels)),
    ):
        value = best_of(runs, work)
        figure(
            f"label sheet PDF, {COUNT} labels, {name}", value, "s", floor, floor / value,
            goal="<= 0.5 s and ratio >= 0.5", met=value <= 0.5 and floor / value >= 0.5,
        )  # fmt: skip
    single_floor = best_of(20, lambda: floor_sheet(prepared[:1]))
    single = best_of(20, lambda: render_label_pdf(labels[0]))
    figure("label PDF, one label", single, "s", single_floor, single_floor / single)
    zpl = best_of(runs, lambda: [render_label_zpl(label) for label in labels])
    figure(f"label ZPL, {COUNT} labels", zpl, "s", None, None)


def main() -> None:
    run()
    print_table()


if __name__ == "__main__":
    main()
