"""The stock report's picture as an SVG drawn on the server (pure: no database, no Flask): per site a heading,
then per lot a bar as long as its days to expiry, coloured by band (expired, under 30 days, under 90 days,
beyond), the days written at its end and the counts beside it, so that it reads in grey on paper too. No
inline style or script (the Content-Security-Policy forbids them): presentation attributes and classes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

WIDTH = 1040
BAR_X, BAR_W = 200, 360
COUNTS_X = BAR_X + BAR_W + 100
ROW_H, HEAD_H, TOP, LEGEND_H = 30, 30, 8, 34
# The bar's scale: at least this many days, at most this many (a bar beyond ends in an arrow at the edge).
MIN_SCALE, MAX_SCALE = 120, 365
BAND_COLOURS = {
    "expired": "#7f0000",
    "under_30_days": "#d32f2f",
    "under_90_days": "#f0a202",
    "beyond_90_days": "#2e7d32",
}
BAND_LINES = (30, 90)
LABEL_CHARS = 18  # a longer lot label is cut with … in the picture (the table below has it whole)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _scale(days: Sequence[int]) -> int:
    longest = max([MIN_SCALE, *days])
    return min(MAX_SCALE, -(-longest // 30) * 30)


def stock_svg(sites: Sequence[Mapping[str, Any]], words: Mapping[str, str]) -> str:
    """`sites`: each with `site_code`, `site_name` and `lots` (`lot_number`, `material_word`,
    `days_to_expiry`, `expiry_band`, `counts_text`); `words`: title, desc, empty, days (with %(days)s),
    expired_ago (with %(days)s), expired_today, axis, and one per band name for the legend."""
    lots = [lot for site in sites for lot in site["lots"]]
    scale = _scale([lot["days_to_expiry"] for lot in lots])

    def x(days: float) -> float:
        return BAR_X + max(0.0, min(days, scale)) / scale * BAR_W

    rows = sum(HEAD_H + ROW_H * max(1, len(site["lots"])) for site in sites)
    height = TOP + LEGEND_H + 24 + rows + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="stock-title stock-desc" class="stock-chart">',  # sized in static/style.css
        f'<title id="stock-title">{escape(words["title"])}</title>',
        f'<desc id="stock-desc">{escape(words["desc"])}</desc>',
    ]
    legend_x = 8
    for band, colour in BAND_COLOURS.items():
        parts.append(
            f'<rect class="legend band-{band}" x="{legend_x}" y="{TOP}" width="16" height="16" '
            f'fill="{colour}"/>'
            f'<text x="{legend_x + 22}" y="{TOP + 13}">{escape(words[band])}</text>'
        )
        legend_x += 220
    y = TOP + LEGEND_H
    # the day axis: 0, the band limits and the scale's end, with dashed guides down the whole picture
    bottom = height - 8
    parts.append(f'<line x1="{BAR_X}" x2="{BAR_X}" y1="{y + 6}" y2="{bottom}" stroke="#555"/>')
    for days in (*BAND_LINES, scale):
        parts.append(
            f'<line x1="{x(days):.1f}" x2="{x(days):.1f}" y1="{y + 6}" y2="{bottom}" stroke="#999" '
            'stroke-dasharray="3 3"/>'
            f'<text x="{x(days):.1f}" y="{y}" text-anchor="middle">{days}</text>'
        )
    parts.append(f'<text x="{BAR_X - 8}" y="{y}" text-anchor="end">{escape(words["axis"])}</text>')
    y += 24
    for site in sites:
        parts.append(
            f'<text class="site" x="8" y="{y + 20}" font-weight="bold">'
            f"{escape(site['site_code'])} — {escape(site['site_name'])}</text>"
        )
        y += HEAD_H
        if not site["lots"]:
            parts.append(f'<text class="muted" x="24" y="{y + 19}">{escape(words["empty"])}</text>')
            y += ROW_H
        for lot in site["lots"]:
            band, days = lot["expiry_band"], lot["days_to_expiry"]
            colour = BAND_COLOURS[band]
            label = words["days"]
            if band == "expired":
                label = words["expired_ago"] if days < 0 else words["expired_today"]
            end = x(days) if band != "expired" else BAR_X
            parts.append(
                f'<g class="lot band-{band}" data-lot="{escape(lot["lot_number"])}" '
                f'data-site="{escape(site["site_code"])}" data-days="{days}">'
                f"<title>{escape(lot['lot_number'])}: {escape(label % {'days': abs(days)})}</title>"
                f'<text x="24" y="{y + 19}">'
                f"{escape(_short(lot['lot_number'] + ' · ' + lot['material_word']))}</text>"
            )
            if band == "expired":  # a red cross at day 0 in place of a bar
                parts.append(
                    f'<path d="M{BAR_X - 7} {y + 8} l14 14 M{BAR_X + 7} {y + 8} l-14 14" stroke="{colour}" '
                    'stroke-width="3"/>'
                )
            else:
                parts.append(
                    f'<rect x="{BAR_X}" y="{y + 6}" width="{max(2.0, end - BAR_X):.1f}" height="18" '
                    f'fill="{colour}" stroke="#333" stroke-width="0.5"/>'
                )
                if days > scale:  # beyond the scale: an arrow at the edge
                    parts.append(f'<path d="M{end:.1f} {y + 4} l8 11 l-8 11 z" fill="{colour}"/>')
            parts.append(
                f'<text class="days" x="{end + 12:.1f}" y="{y + 19}">'
                f"{escape(label % {'days': abs(days)})}</text>"
                f'<text class="counts" x="{COUNTS_X}" y="{y + 19}">{escape(lot["counts_text"])}</text></g>'
            )
            y += ROW_H
    parts.append("</svg>")
    return "".join(parts)
