"""The storage rules: reading a data logger's CSV file (layouts, chosen columns, °F, zones, bad lines), the
time out of range and its excursions, when a unit is silent, where a container was, and the chart."""

import datetime as dt

import pytest

from tracker.storage import rules
from tracker.storage.chart import temperature_svg

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
T0 = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC)


def _at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_a_comma_file_with_a_header_and_offsets_is_read_as_utc_celsius():
    text = (
        "Timestamp,Temperature (°C),Humidity\n"
        "2026-12-01T08:00:00+08:00,-190.5,10\n2026-12-01T00:05:00Z,-189,10\n"
    )
    read = rules.read_logger_file(text, now=NOW)
    assert read.problems == []
    assert (read.time_column, read.temperature_column, read.unit) == ("Timestamp", "Temperature (°C)", "C")
    assert read.readings == [(_at(0), -190.5), (_at(5), -189.0)]


def test_a_semicolon_file_with_preamble_decimal_commas_and_a_unit_row_in_fahrenheit():
    text = (
        "Logger;EL-USB-2\nSerial;12345\n\nDate/Time;Temp\n;°F\n2026/12/01 08:00;35,6\n2026/12/01 08:10;46,4\n"
    )
    read = rules.read_logger_file(text, zone="Asia/Shanghai", now=NOW)
    assert read.problems == []
    assert read.unit == "F"
    assert read.readings == [(_at(0), pytest.approx(2.0)), (_at(10), pytest.approx(8.0))]


def test_times_without_an_offset_are_in_the_site_zone():
    text = "time,temperature\n2026-12-01 00:00,-190\n"
    assert rules.read_logger_file(text, zone="UTC", now=NOW).readings[0][0] == T0
    assert rules.read_logger_file(text, zone="Asia/Shanghai", now=NOW).readings[0][0] == T0 - dt.timedelta(
        hours=8
    )


def test_columns_chosen_on_import_win_over_the_guess_and_a_chosen_unit_over_the_header():
    text = "Time,Probe A (°C),Probe B (°F)\n2026-12-01 00:00,-190,41\n"
    read = rules.read_logger_file(text, temperature_column="Probe B (°F)", now=NOW)
    assert read.readings == [(T0, pytest.approx(5.0))]
    forced = rules.read_logger_file(text, temperature_column="Probe B (°F)", unit="C", now=NOW)
    assert forced.readings == [(T0, 41.0)]


def test_every_bad_line_is_reported_by_its_number():
    text = (
        "Time,Temp\n2026-12-01 00:00,-190\nlater,-190\n2026-12-01 00:10,cold\n2026-12-01 00:15\n"
        "2030-01-01 00:00,-190\n"
    )
    read = rules.read_logger_file(text, now=NOW)
    lines = [(n, sentence) for n, sentence, _ in read.problems]
    assert lines == [
        (3, rules.NOT_A_TIME), (4, rules.NOT_A_TEMPERATURE), (5, rules.TOO_FEW_COLUMNS),
        (6, rules.IN_THE_FUTURE),
    ]  # fmt: skip
    assert rules.problem_text(*read.problems[0][1:]) == "not a time: “later”"


def test_a_file_without_a_header_or_readings_is_refused():
    assert rules.read_logger_file("a,b\n1,2\n", now=NOW).problems[0][1] == rules.NO_HEADER
    assert rules.read_logger_file("Time,Temp\n", now=NOW).problems[0][1] == rules.NO_READING


def test_the_columns_are_guessed_from_the_header():
    assert rules.guess_columns(["No.", "Date/Time", "Temperature(°C)"]) == ("Date/Time", "Temperature(°C)")
    assert rules.guess_columns(["时间", "温度"]) == ("时间", "温度")
    assert rules.guess_columns(["a", "b"]) == (None, None)


def test_an_interval_is_out_of_range_when_its_first_reading_is():
    readings = [(_at(0), -190), (_at(5), -140), (_at(10), -130), (_at(40), -190), (_at(45), -120)]
    found = rules.excursions(readings, None, -150)
    assert [(e.start, e.end, e.min_c, e.max_c) for e in found] == [
        (_at(5), _at(40), -140, -130), (_at(45), _at(45), -120, -120),
    ]  # fmt: skip
    assert rules.minutes_out_of_range(found) == 35
    assert rules.beyond_limit(found, 30) == found[:1]
    assert rules.beyond_limit(found, None) == []


def test_a_two_sided_range_counts_both_sides():
    readings = [(_at(0), 5), (_at(10), 1), (_at(20), 9), (_at(30), 5)]
    found = rules.excursions(readings, 2, 8)
    assert [(e.start, e.end) for e in found] == [(_at(10), _at(30))]
    assert rules.excursions([(_at(0), 2), (_at(1), 8)], 2, 8) == []


def test_a_unit_is_silent_after_the_study_limit():
    assert rules.status_of(None, None, -150, NOW, 30) == "no_readings"
    assert rules.status_of((NOW - dt.timedelta(minutes=31), -190), None, -150, NOW, 30) == "silent"
    assert rules.status_of((NOW - dt.timedelta(minutes=29), -140), None, -150, NOW, 30) == "out_of_range"
    assert rules.status_of((NOW, -190), None, -150, NOW, None) == "in_range"


def test_where_a_container_was_follows_its_moves_until_it_left_storage():
    moves = [(_at(60), "LN2-02"), (_at(120), "LN2-01")]
    assert rules.presence_intervals(_at(0), "LN2-01", moves, _at(200), "LN2-01") == [
        (_at(0), _at(60)), (_at(120), _at(200)),
    ]  # fmt: skip
    intervals = rules.presence_intervals(_at(0), "LN2-01", moves, None, "LN2-02")
    assert intervals == [(_at(60), _at(120))]
    assert rules.overlaps(intervals, _at(100), _at(130))
    assert not rules.overlaps(intervals, _at(121), _at(130))


def test_the_chart_has_a_title_a_band_a_line_and_excursions_and_escapes_its_text():
    readings = [(_at(i * 5), -190 if i % 4 else -120) for i in range(20)]
    words = {"title": "Temp <LN2>", "desc": "d", "band": "b", "x_axis": "x", "y_axis": "°C", "empty": "none"}
    svg = temperature_svg(readings, (None, -150), [(_at(0), _at(5))], _at(0), _at(100), zone="Asia/Shanghai",
                          words=words)  # fmt: skip
    assert svg.startswith("<svg")
    assert '<title id="chart-title">Temp &lt;LN2&gt;</title>' in svg
    assert 'class="band"' in svg
    assert 'class="readings"' in svg
    assert 'class="excursion"' in svg
    assert "12-01 08:00" in svg  # the first tick in the site's zone
    empty = temperature_svg([], (2, 8), [], _at(0), _at(100), zone="UTC", words=words)
    assert "none" in empty
    assert 'class="readings"' not in empty


def test_a_reading_at_a_time_already_stored_or_given_twice_is_new_only_once():
    readings = [(_at(0), 1.0), (_at(5), 2.0), (_at(5), 3.0), (_at(10), 4.0)]
    assert rules.new_readings(readings, {_at(10)}) == [(_at(0), 1.0), (_at(5), 2.0)]
    assert rules.readings_digest(readings[:1]) != rules.readings_digest([(_at(0), 1.5)])
