"""Numbers and times out of whatever a role read: JSON leaves, list lengths and value counts, numbers and
times in text, sizes; and which rows of a list are about which bag."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from typing import Any

from tracker.blinding_audit.collect import Reading

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")
_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]{3,}")
LONG_LIST = 40  # longer lists are summarised (length, value counts, sums) rather than read item by item
MAX_TEXT_NUMBERS = 300


def as_time(text: str) -> dt.datetime | None:
    if not isinstance(text, str) or not _TIME.fullmatch(text.strip()):
        return None
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def flatten(data: Any, path: str = "", out: dict[str, float] | None = None) -> dict[str, float]:
    """Every number of a JSON value by path; times as epoch seconds under `path@t`; lists by length, and long
    lists by counts of their values and sums of their numbers."""
    out = {} if out is None else out
    if isinstance(data, bool):
        out[path] = float(data)
    elif isinstance(data, int | float):
        out[path] = float(data)
    elif isinstance(data, str):
        when = as_time(data)
        if when is not None:
            out[f"{path}@t"] = when.timestamp()
        out[f"{path}#chars"] = float(len(data))
    elif data is None:
        out[f"{path}#null"] = 1.0
    elif isinstance(data, dict):
        out[f"{path}#keys"] = float(len(data))
        for key, value in data.items():
            flatten(value, f"{path}.{key}", out)
    elif isinstance(data, list):
        out[f"{path}#len"] = float(len(data))
        if len(data) <= LONG_LIST:
            for index, value in enumerate(data):
                flatten(value, f"{path}[{index}]", out)
        _summarise(data, path, out)
    return out


def _summarise(items: list[Any], path: str, out: dict[str, float]) -> None:
    values: dict[str, Counter] = {}
    sums: dict[str, float] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        for key, value in item.items():
            if isinstance(value, str | bool) or value is None:
                values.setdefault(key, Counter())[str(value)] += 1
            elif isinstance(value, int | float):
                sums[key] = sums.get(key, 0.0) + float(value)
    for key, counts in values.items():
        # Categories only: an identifier (every value its own, or a name that says so) counts nothing.
        distinct = len(items) > 1 and len(counts) == len(items)
        identifier = distinct or key.endswith(("_id", "_code", "_number"))
        if len(counts) <= 12 and not identifier:
            for value, count in counts.items():
                out[f"{path}[*].{key}={value}"] = float(count)
    for key, total in sums.items():
        out[f"{path}[*].{key}#sum"] = total


def text_numbers(text: str, prefix: str = "n") -> dict[str, float]:
    """Numbers and times in text by their position, times as epoch seconds."""
    out: dict[str, float] = {}
    for index, match in enumerate(_TIME.finditer(text)):
        when = as_time(match[0])
        if when is not None and index < MAX_TEXT_NUMBERS:
            out[f"{prefix}t{index}@t"] = when.timestamp()
    stripped = _TIME.sub(" ", text)
    for index, match in enumerate(_NUMBER.finditer(stripped)):
        if index >= MAX_TEXT_NUMBERS:
            break
        try:
            out[f"{prefix}{index}"] = float(match[0])
        except ValueError:
            continue
    out[f"{prefix}#lines"] = float(text.count("\n"))
    out[f"{prefix}#chars"] = float(len(text))
    return out


def numbers_of(reading: Reading) -> dict[str, float]:
    out = {"#size": float(reading.size), "#status": float(reading.status)}
    if reading.pdf_pages:
        out["#pdf_pages"] = float(reading.pdf_pages)
    for name, value in reading.headers.items():
        for key, number in text_numbers(value, f"header:{name.lower()}:").items():
            out[key] = number
    if reading.data is not None:
        flatten(reading.data, "", out)
    else:
        out.update(text_numbers(reading.text))
    return out


# ---- rows of a list that are about a bag ---------------------------------------------------------------


def bag_tokens(bags: list[Any]) -> dict[str, int]:
    """The identifiers a blinded role may see for each bag: bag ID, participant, code, infusion, scans."""
    tokens: dict[str, int] = {}
    for bag in bags:
        for value in (bag.bag_id, bag.participant_id, bag.code, bag.infusion_id, *bag.scan_ids):
            if value:
                tokens[value.upper()] = bag.index
    return tokens


def bags_named(text: str, tokens: dict[str, int]) -> set[int]:
    return {tokens[t.upper()] for t in _TOKEN.findall(text) if t.upper() in tokens}


Row = tuple[int, str, dict[str, float], int, int, str]


def rows_about_bags(reading: Reading, tokens: dict[str, int]) -> list[Row]:
    """(bag, row kind, numbers, position, rows, row text) for each row of a list answer that names exactly one
    bag."""
    if reading.rows is not None:
        return reading.rows
    found: list[Row] = []
    reading.rows = found
    if reading.data is not None:
        for path, items in _lists_of_dicts(reading.data, ""):
            for position, item in enumerate(items):
                named = bags_named(_strings(item), tokens)
                if len(named) == 1:
                    kind = f"{path}[{item.get('entity_type', '')}:{item.get('action', item.get('kind', ''))}]"
                    found.append((named.pop(), kind, flatten(item), position, len(items), json.dumps(item)))
        return found
    if reading.mimetype == "text/csv":
        rows = list(csv.reader(io.StringIO(reading.raw)))
        header = rows[0] if rows else []
        for position, row in enumerate(rows[1:]):
            named = bags_named(" ".join(row), tokens)
            if len(named) == 1:
                numbers: dict[str, float] = {}
                for column, cell in zip(header, row, strict=False):
                    when = as_time(cell)
                    if when is not None:
                        numbers[f"{column}@t"] = when.timestamp()
                    else:
                        try:
                            numbers[column] = float(cell)
                        except ValueError:
                            numbers[f"{column}#chars"] = float(len(cell))
                kind = next((cell for cell in row if cell in ("prepare", "thaw", "dispatch")), "row")
                found.append((named.pop(), kind, numbers, position, len(rows) - 1, ",".join(row)))
        return found
    lines = reading.text.splitlines()
    for position, line in enumerate(lines):
        named = bags_named(line, tokens)
        if len(named) == 1:
            found.append((named.pop(), "line", text_numbers(line, "l"), position, len(lines), line))
    return found


def _lists_of_dicts(data: Any, path: str):  # noqa: ANN202
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _lists_of_dicts(value, f"{path}.{key}")
    elif isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        yield path, data


def _strings(item: Any) -> str:
    if isinstance(item, dict):
        return " ".join(_strings(v) for v in item.values())
    if isinstance(item, list):
        return " ".join(_strings(v) for v in item)
    return item if isinstance(item, str) else ""
