"""The printed temperature chart (reportlab graphics): the band, the readings' line, the excursions marked,
the axes' words; an empty period says so."""

import datetime as dt

from reportlab.graphics.shapes import PolyLine, Rect, String

from tracker.reports.temperature_chart import EXCURSION, temperature_drawing

T0 = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)


def _at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def _draw(readings, excursions=()):
    return temperature_drawing(
        readings,
        (2.0, 8.0),
        list(excursions),
        _at(0),
        _at(60),
        zone="Asia/Shanghai",
        x_axis="时间（Asia/Shanghai）",
        empty="No readings in this period",
    )


def test_the_chart_draws_the_line_the_band_and_each_excursion():
    readings = [(_at(m), v) for m, v in ((0, 5.0), (10, 9.5), (20, 10.0), (30, 5.0), (60, 4.0))]
    drawing = _draw(readings, [(_at(10), _at(30))])
    shapes = drawing.contents
    (line,) = [s for s in shapes if isinstance(s, PolyLine)]
    assert len(line.points) == 2 * len(readings)
    assert sum(1 for s in shapes if isinstance(s, Rect) and s.fillColor == EXCURSION) == 1
    words = [s.text for s in shapes if isinstance(s, String)]
    assert "12-01 08:00" in words  # the first tick in the site's zone
    assert "时间（Asia/Shanghai）" in words
    assert "°C" in words


def test_an_empty_period_says_it_has_no_readings():
    drawing = _draw([])
    assert not [s for s in drawing.contents if isinstance(s, PolyLine)]
    assert "No readings in this period" in [s.text for s in drawing.contents if isinstance(s, String)]
