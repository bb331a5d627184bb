"""Pure decisions about storage units: the kinds and who manages them, reading a data logger's CSV file
(layouts, columns, units, zones, bad lines), the time out of range and its excursions, and the watch."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tracker.translation import N_

UNIT_KINDS = ("ln2_freezer", "vapour_phase_dewar", "dry_shipper", "fridge_2_8")
# GMP and the pharmacy manage units and move containers; QA reads. Blinded ward roles (nurse, investigator)
# get no storage route at all: a container's times in a unit could be matched with a bag's.
MANAGERS = ("gmp", "pharmacist")
READERS = ("gmp", "pharmacist", "qa")

UNIT_ID_PATTERN = r"^[A-Z0-9][A-Z0-9._-]{0,39}$"
CLOCK_SKEW = dt.timedelta(minutes=1)
MAX_READINGS_PER_POST = 10_000
MAX_LOGGER_BYTES = 32 * 1024 * 1024

TIME_WORDS = ("timestamp", "date/time", "datetime", "date time", "time", "date", "时间", "日期")
TEMPERATURE_WORDS = ("temperature", "temp", "°c", "°f", "deg", "温度", "celsius", "fahrenheit")


def normal_unit_id(unit_id: str) -> str:
    return (unit_id or "").strip().upper()


def is_unit_id(unit_id: str) -> bool:
    return re.fullmatch(UNIT_ID_PATTERN, unit_id or "") is not None


def in_range(temperature_c: float, low: float | None, high: float | None) -> bool:
    return (low is None or temperature_c >= low) and (high is None or temperature_c <= high)


def range_text(low: float | None, high: float | None) -> str:
    if low is None:
        return f"≤ {high:g} °C"
    if high is None:
        return f"≥ {low:g} °C"
    return f"{low:g} – {high:g} °C"


def new_readings(
    readings: Sequence[tuple[dt.datetime, float]], stored_at: set[dt.datetime]
) -> list[tuple[dt.datetime, float]]:
    """The sorted readings whose time the unit does not have yet, each time once (the first given)."""
    seen = set(stored_at)
    fresh = []
    for at, value in readings:
        if at not in seen:
            seen.add(at)
            fresh.append((at, value))
    return fresh


def readings_digest(readings: Iterable[tuple[dt.datetime, float]]) -> str:
    """SHA-256 over a batch's readings (UTC time ISO 8601, °C as Python writes it), one line each: what the
    batch's audit event commits to, since the readings themselves are not row images of the trail."""
    digest = hashlib.sha256()
    for at, value in readings:
        digest.update(f"{at.astimezone(dt.UTC).isoformat()},{value!r}\n".encode())
    return digest.hexdigest()


def fahrenheit_to_celsius(value: float) -> float:
    return (value - 32.0) * 5.0 / 9.0


# ---- the data logger's file ----------------------------------------------------------------------------


NO_HEADER = N_("no header row naming a time column and a temperature column")
TOO_FEW_COLUMNS = N_("too few columns")
NOT_A_TIME = N_("not a time: “%(value)s”")
IN_THE_FUTURE = N_("the time lies in the future")
NOT_A_TEMPERATURE = N_("not a temperature: “%(value)s”")
NO_READING = N_("the file holds no reading")


def problem_text(sentence: str, params: dict[str, Any]) -> str:
    return sentence % params if params else sentence


@dataclass
class LoggerFile:
    """What a logger file holds once read: its header, the columns used, the readings (UTC, °C) sorted by
    time, and the bad lines (line number, why). A file with any bad line stores nothing."""

    columns: list[str] = field(default_factory=list)
    time_column: str | None = None
    temperature_column: str | None = None
    unit: str = "C"
    readings: list[tuple[dt.datetime, float]] = field(default_factory=list)
    # (line number, sentence with %(value)s, its parameters): translated where it is shown.
    problems: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)


def _is_time_name(name: str) -> bool:
    low = name.strip().lower()
    return any(word in low for word in TIME_WORDS)


def _is_temperature_name(name: str) -> bool:
    low = name.strip().lower()
    return any(word in low for word in TEMPERATURE_WORDS) and not _is_time_name(low)


def guess_columns(header: Sequence[str]) -> tuple[str | None, str | None]:
    """(time column, temperature column) a header names, or None for each it does not."""
    time_col = next((h for h in header if _is_time_name(h)), None)
    temp_col = next((h for h in header if _is_temperature_name(h)), None)
    return time_col, temp_col


def unit_of(name: str) -> str | None:
    """ "F" or "C" when a column's name or a unit row's cell says which, else None."""
    low = name.strip().lower().replace(" ", "")
    if "°f" in low or "(f)" in low or "[f]" in low or "fahrenheit" in low or low in ("f", "degf", "ºf"):
        return "F"
    if "°c" in low or "(c)" in low or "[c]" in low or "celsius" in low or low in ("c", "degc", "ºc", "℃"):
        return "C"
    return None


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


_SLASH_DATE = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})")


def parse_time(text: str, zone: dt.tzinfo) -> dt.datetime | None:
    """A logger's time (ISO 8601 with `T` or a space, `-` or `/` between date parts, seconds optional, an
    offset or `Z` optional) as UTC; a time without an offset is in `zone`. None when it is not a time."""
    value = text.strip()
    if not value:
        return None
    value = _SLASH_DATE.sub(lambda m: f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}", value)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(dt.UTC)


def parse_number(text: str) -> float | None:
    value = text.strip().replace(",", ".").replace("−", "-")
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def read_logger_file(
    text: str,
    *,
    zone: str | dt.tzinfo = "UTC",
    time_column: str | None = None,
    temperature_column: str | None = None,
    unit: str | None = None,
    now: dt.datetime | None = None,
) -> LoggerFile:
    """Read a data logger's CSV export: comma, semicolon or tab separated; lines before the header (the
    logger's serial number, say) skipped; the header is the first row naming a time and a temperature column;
    a unit row (°C, °F) right after it is read and skipped; °F (named in the header, the unit row or by
    `unit`) converted to °C; a decimal comma read. Every bad line is reported by its number."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    result = LoggerFile()
    lines = text.lstrip("\ufeff").splitlines()
    header_index = None
    for index, line in enumerate(lines[:50]):
        if not line.strip():
            continue
        cells = next(csv.reader([line], delimiter=_delimiter(line)))
        guessed = guess_columns(cells)
        wanted = (time_column in cells if time_column else guessed[0]) and (
            temperature_column in cells if temperature_column else guessed[1]
        )
        if wanted:
            header_index, delimiter, header = index, _delimiter(line), [c.strip() for c in cells]
            break
    if header_index is None:
        result.problems.append((1, NO_HEADER, {}))
        return result
    result.columns = header
    guessed_time, guessed_temp = guess_columns(header)
    result.time_column = time_column or guessed_time
    result.temperature_column = temperature_column or guessed_temp
    t_index = header.index(result.time_column.strip())
    c_index = header.index(result.temperature_column.strip())
    chosen_unit = (unit or "").upper() or unit_of(result.temperature_column) or None
    rows = csv.reader(io.StringIO("\n".join(lines[header_index + 1 :])), delimiter=delimiter)
    readings = result.readings
    problems = result.problems
    now = now or dt.datetime.now(dt.UTC)
    latest = now + CLOCK_SKEW
    first = True
    for offset, row in enumerate(rows):
        number = header_index + 2 + offset
        if not row or not any(cell.strip() for cell in row):
            continue
        if first:
            first = False
            row_unit = unit_of(row[c_index]) if len(row) > c_index else None
            if row_unit is not None and parse_number(row[c_index]) is None:
                chosen_unit = chosen_unit or row_unit
                continue
        if len(row) <= max(t_index, c_index):
            problems.append((number, TOO_FEW_COLUMNS, {}))
            continue
        at = parse_time(row[t_index], tz)
        value = parse_number(row[c_index])
        if at is None:
            problems.append((number, NOT_A_TIME, {"value": row[t_index].strip()[:40]}))
        elif at > latest:
            problems.append((number, IN_THE_FUTURE, {}))
        if value is None:
            problems.append((number, NOT_A_TEMPERATURE, {"value": row[c_index].strip()[:40]}))
        if at is not None and value is not None and at <= latest:
            readings.append((at, value))
    result.unit = chosen_unit or "C"
    if result.unit == "F":
        result.readings = [(at, fahrenheit_to_celsius(v)) for at, v in readings]
    result.readings.sort(key=lambda r: r[0])
    if not result.readings and not problems:
        problems.append((header_index + 1, NO_READING, {}))
    return result


# ---- time out of range ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Excursion:
    start: dt.datetime
    end: dt.datetime
    min_c: float
    max_c: float

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60.0


def excursions(
    readings: Iterable[tuple[dt.datetime, float]], low: float | None, high: float | None
) -> list[Excursion]:
    """The intervals spent out of range, from readings sorted by time: the interval from a reading to the
    next counts as out of range when that reading is; consecutive such intervals make one excursion. The
    last reading has no next one: an excursion it starts ends at it (zero minutes) until the next arrives."""
    found: list[Excursion] = []
    start = None
    lo = hi = 0.0
    for at, value in readings:
        if start is not None:
            end = at
        if in_range(value, low, high):
            if start is not None:
                found.append(Excursion(start, end, lo, hi))
                start = None
            continue
        if start is None:
            start, lo, hi = at, value, value
        else:
            lo, hi = min(lo, value), max(hi, value)
        end = at
    if start is not None:
        found.append(Excursion(start, end, lo, hi))
    return found


def minutes_out_of_range(found: Iterable[Excursion]) -> float:
    return sum(e.minutes for e in found)


def beyond_limit(found: Iterable[Excursion], limit_minutes: int | None) -> list[Excursion]:
    """The excursions longer than the study's limit (none when the study sets no limit)."""
    if limit_minutes is None:
        return []
    return [e for e in found if e.minutes > limit_minutes]


def status_of(
    latest: tuple[dt.datetime, float] | None,
    low: float | None,
    high: float | None,
    now: dt.datetime,
    silent_minutes: int | None,
) -> str:
    """`no_readings`, `silent` (none for longer than the study allows), `out_of_range` or `in_range`."""
    if latest is None:
        return "no_readings"
    if is_silent(latest[0], now, silent_minutes):
        return "silent"
    return "in_range" if in_range(latest[1], low, high) else "out_of_range"


def is_silent(last_at: dt.datetime | None, now: dt.datetime, silent_minutes: int | None) -> bool:
    if silent_minutes is None or last_at is None:
        return False
    return now - last_at > dt.timedelta(minutes=silent_minutes)


def presence_intervals(
    created_at: dt.datetime,
    initial_unit: str,
    moves: Sequence[tuple[dt.datetime, str]],
    left_at: dt.datetime | None,
    unit_id: str,
) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """When a container was in `unit_id`: from its creation in `initial_unit`, through its moves (time, unit
    moved to), until it left storage (`left_at`: its issue or discard; None: still stored)."""
    intervals: list[tuple[dt.datetime, dt.datetime | None]] = []
    where, since = initial_unit, created_at
    for at, to_unit in moves:
        if where == unit_id:
            intervals.append((since, at))
        where, since = to_unit, at
    if where == unit_id:
        intervals.append((since, left_at))
    return [(a, b) for a, b in intervals if b is None or b > a]


def overlaps(
    intervals: Iterable[tuple[dt.datetime, dt.datetime | None]], start: dt.datetime, end: dt.datetime
) -> bool:
    return any(a <= end and (b is None or b >= start) for a, b in intervals)


def minutes_exposed(
    intervals: Iterable[tuple[dt.datetime, dt.datetime | None]], found: Iterable[Excursion]
) -> float:
    """The minutes a container spent out of range: the overlap of its times in a unit (`intervals`, an open
    end for one still there) with the unit's excursions."""
    spans = list(intervals)
    total = 0.0
    for excursion in found:
        for a, b in spans:
            start, end = max(a, excursion.start), excursion.end if b is None else min(b, excursion.end)
            if end > start:
                total += (end - start).total_seconds() / 60.0
    return total


def reading_summary(values: Sequence[float]) -> dict[str, float | int | None]:
    """Count, lowest, highest and mean °C of a period's readings (None for each when there is none)."""
    if not values:
        return {"count": 0, "min_c": None, "max_c": None, "mean_c": None}
    mean = sum(values) / len(values)
    return {"count": len(values), "min_c": min(values), "max_c": max(values), "mean_c": mean}
