"""A unit's temperature chart for the printed report, drawn with reportlab's graphics (a PDF cannot hold the
page's SVG): the same picture as tracker/storage/chart.py — the allowed band shaded, the readings as a line,
excursions marked, time in the site's zone and °C on the axes — plain enough to read in print."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from tracker.pdf import text_font
from tracker.storage.chart import thin, ticks, value_range

WIDTH, HEIGHT = 255 * mm, 80 * mm
LEFT, RIGHT, TOP, BOTTOM = 16 * mm, 12 * mm, 5 * mm, 14 * mm
BAND = colors.Color(0.81, 0.91, 0.81)
EXCURSION = colors.Color(0.85, 0.0, 0.0, alpha=0.25)
LINE = colors.Color(0.1, 0.31, 0.61)


def _label(x: float, y: float, text: str, size: float = 7, anchor: str = "middle") -> String:
    return String(x, y, text, fontName=text_font(text), fontSize=size, textAnchor=anchor)


def temperature_drawing(
    readings: Sequence[tuple[dt.datetime, float]],
    band: tuple[float | None, float | None],
    excursions: Sequence[tuple[dt.datetime, dt.datetime]],
    since: dt.datetime,
    until: dt.datetime,
    *,
    zone: str,
    x_axis: str,
    empty: str,
) -> Drawing:
    tz = ZoneInfo(zone)
    low_band, high_band = band
    v_min, v_max = value_range(readings, band)
    t0, t1 = since.timestamp(), max(until.timestamp(), since.timestamp() + 60)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: dt.datetime) -> float:
        return LEFT + (at.timestamp() - t0) / (t1 - t0) * plot_w

    def y(value: float) -> float:  # reportlab's y grows upwards
        return BOTTOM + (value - v_min) / (v_max - v_min) * plot_h

    drawing = Drawing(WIDTH, HEIGHT)
    drawing.add(Rect(LEFT, BOTTOM, plot_w, plot_h, fillColor=colors.white, strokeColor=colors.grey))
    band_low = y(low_band) if low_band is not None else BOTTOM
    band_high = y(high_band) if high_band is not None else BOTTOM + plot_h
    drawing.add(Rect(LEFT, band_low, plot_w, max(0.0, band_high - band_low), fillColor=BAND, strokeWidth=0))
    for start, end in excursions:
        left, right = max(LEFT, x(start)), min(LEFT + plot_w, x(end))
        drawing.add(Rect(left, BOTTOM, max(1.5, right - left), plot_h, fillColor=EXCURSION,
                         strokeColor=colors.red, strokeWidth=0.5, strokeDashArray=[2, 1]))  # fmt: skip
    for tick in ticks(v_min, v_max):
        drawing.add(Line(LEFT - 3, y(tick), LEFT + plot_w, y(tick), strokeColor=colors.lightgrey,
                         strokeWidth=0.3))  # fmt: skip
        drawing.add(_label(LEFT - 5, y(tick) - 2.5, f"{tick:g}", anchor="end"))
    for i in range(6):
        at = dt.datetime.fromtimestamp(t0 + (t1 - t0) * i / 5, dt.UTC)
        drawing.add(Line(x(at), BOTTOM, x(at), BOTTOM - 3, strokeColor=colors.grey))
        drawing.add(_label(x(at), BOTTOM - 10, at.astimezone(tz).strftime("%m-%d %H:%M")))
    drawing.add(_label(LEFT + plot_w / 2, 2, x_axis, size=8))
    drawing.add(_label(LEFT - 5, BOTTOM + plot_h + 1, "°C", size=8, anchor="end"))
    points = thin(readings)
    if points:
        flat = [c for a, v in points for c in (x(a), y(v))]
        drawing.add(PolyLine(flat, strokeColor=LINE, strokeWidth=0.8))
    else:
        drawing.add(_label(LEFT + plot_w / 2, BOTTOM + plot_h / 2, empty, size=9))
    return drawing
