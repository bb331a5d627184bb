"""A unit's temperature chart as an SVG drawn on the server (pure: no database, no Flask): the readings as a
line, the allowed band shaded, excursions in red, time (site zone) and °C axes, a <title> and <desc>."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from zoneinfo import ZoneInfo

WIDTH, HEIGHT = 900, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 44
MAX_POINTS = 2000  # a long period is thinned to this many points (min and max of each bucket kept)


def thin(readings: Sequence[tuple[dt.datetime, float]]) -> list[tuple[dt.datetime, float]]:
    if len(readings) <= MAX_POINTS:
        return list(readings)
    step = len(readings) / (MAX_POINTS / 2)
    out: list[tuple[dt.datetime, float]] = []
    for i in range(MAX_POINTS // 2):
        bucket = readings[int(i * step) : int((i + 1) * step)]
        if bucket:
            low, high = min(bucket, key=lambda r: r[1]), max(bucket, key=lambda r: r[1])
            out.extend(sorted({low, high}))
    return out


def ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = high - low
    raw = span / count
    magnitude = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    step = max(1.0, round(raw / magnitude) * magnitude)
    first = int(low // step) * step
    return [first + i * step for i in range(count + 3) if low <= first + i * step <= high]


def value_range(
    readings: Sequence[tuple[dt.datetime, float]], band: tuple[float | None, float | None]
) -> tuple[float, float]:
    """The °C axis of either chart: the readings and the band's limits, with a margin above and below."""
    values = [v for _, v in readings] + [b for b in band if b is not None]
    v_min, v_max = (min(values), max(values)) if values else (-200.0, 10.0)
    pad = max(2.0, (v_max - v_min) * 0.08)
    return v_min - pad, v_max + pad


def temperature_svg(
    readings: Sequence[tuple[dt.datetime, float]],
    band: tuple[float | None, float | None],
    excursions: Sequence[tuple[dt.datetime, dt.datetime]],
    since: dt.datetime,
    until: dt.datetime,
    *,
    zone: str,
    words: Mapping[str, str],
) -> str:
    """The chart; `words` gives the translated title, desc, axis names and the no-readings line."""
    tz = ZoneInfo(zone)
    low_band, high_band = band
    v_min, v_max = value_range(readings, band)
    t0, t1 = since.timestamp(), max(until.timestamp(), since.timestamp() + 60)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: dt.datetime) -> float:
        return LEFT + (at.timestamp() - t0) / (t1 - t0) * plot_w

    def y(value: float) -> float:
        return TOP + (v_max - value) / (v_max - v_min) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" class="temperature-chart">',  # sized in static/style.css
        f'<title id="chart-title">{escape(words["title"])}</title>',
        f'<desc id="chart-desc">{escape(words["desc"])}</desc>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#555"/>',
    ]
    top = y(high_band) if high_band is not None else TOP
    bottom = y(low_band) if low_band is not None else TOP + plot_h
    parts.append(
        f'<rect class="band" x="{LEFT}" y="{top:.1f}" width="{plot_w}" height="{max(0.0, bottom - top):.1f}" '
        f'fill="#cfe8cf" fill-opacity="0.7"><title>{escape(words["band"])}</title></rect>'
    )
    for start, end in excursions:
        left, right = max(LEFT, x(start)), min(LEFT + plot_w, x(end))
        parts.append(
            f'<rect class="excursion" x="{left:.1f}" y="{TOP}" width="{max(2.0, right - left):.1f}" '
            f'height="{plot_h}" fill="#d00" fill-opacity="0.25" stroke="#d00" stroke-dasharray="4 2"/>'
        )
    for tick in ticks(v_min, v_max):
        parts.append(
            f'<line x1="{LEFT - 4}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    for i in range(6):
        at = dt.datetime.fromtimestamp(t0 + (t1 - t0) * i / 5, dt.UTC)
        label = at.astimezone(tz).strftime("%m-%d %H:%M")
        parts.append(
            f'<line x1="{x(at):.1f}" x2="{x(at):.1f}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 4}" '
            'stroke="#555"/>'
            f'<text x="{x(at):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{label}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle">'
        f"{escape(words['x_axis'])}</text>"
        f'<text x="14" y="{TOP + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.0f})">{escape(words["y_axis"])}</text>'
    )
    points = thin(readings)
    if points:
        path = " ".join(f"{x(a):.1f},{y(v):.1f}" for a, v in points)
        parts.append(
            f'<polyline class="readings" points="{path}" fill="none" stroke="#1a4f9c" stroke-width="1.5"/>'
        )
        outside = [
            (a, v)
            for a, v in points
            if (low_band is not None and v < low_band) or (high_band is not None and v > high_band)
        ]
        parts.extend(
            f'<circle class="out" cx="{x(a):.1f}" cy="{y(v):.1f}" r="2.5" fill="#d00"/>'
            for a, v in outside[:500]
        )
    else:
        parts.append(
            f'<text x="{LEFT + plot_w / 2:.0f}" y="{TOP + plot_h / 2:.0f}" text-anchor="middle">'
            f"{escape(words['empty'])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
