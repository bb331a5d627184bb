"""Pure rules for randomization lists: the permuted-block generator, CSV validation and the commitment."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from tracker.text import code_key, unneutralised_cell

CSV_HEADER = ("randomization_code", "stratum", "arm")
# A code is whatever the list's author wrote, kept exactly: a site cannot choose the statistician's codes.
# Unique regardless of case; a study may narrow the rule (its definition's `randomization.code_pattern`).
CODE_PATTERN = re.compile(r"[A-Za-z0-9._/-]{1,32}")
CODE_RULE = "1–32 letters, digits, '-', '_', '.' or '/'"
# The generator's own codes: "R" and six characters, random, so a code shows neither arm nor stratum.
# Generated codes avoid characters people confuse when reading them aloud (0/O, 1/I).
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 6
COMMITMENT_VERSION = "tracker-randomization-v1"
MAX_BLOCK_SIZE = 24
MAX_PER_STRATUM = 10_000


@dataclass(frozen=True)
class ListRow:
    code: str
    stratum: str
    arm: str


def commitment_bytes(salt: str, rows: Iterable[ListRow]) -> bytes:
    """Canonical encoding: compact UTF-8 JSON [version, salt, [[code, stratum, arm], ...]], in list order."""
    payload = [COMMITMENT_VERSION, salt, [[r.code, r.stratum, r.arm] for r in rows]]
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def commitment(salt: str, rows: Iterable[ListRow]) -> str:
    return hashlib.sha256(commitment_bytes(salt, rows)).hexdigest()


# --- the permuted-block generator ---------------------------------------------------------------


def block_size_problems(block_sizes: Sequence[int], arm_count: int, per_stratum: int) -> list[str]:
    problems = []
    if not block_sizes:
        problems.append("give at least one block size")
    for size in block_sizes:
        if size <= 0 or size % arm_count or size > MAX_BLOCK_SIZE:
            problems.append(
                f"block size {size} must be a positive multiple of {arm_count} (the number of arms), "
                f"at most {MAX_BLOCK_SIZE}"
            )
    if len(set(block_sizes)) != len(block_sizes):
        problems.append("block sizes must not repeat")
    if not problems and not _fillable(per_stratum, block_sizes)[per_stratum]:
        problems.append(
            f"{per_stratum} codes per stratum cannot be made of whole blocks of {list(block_sizes)}"
        )
    return problems


def _fillable(total: int, sizes: Sequence[int]) -> list[bool]:
    """fillable[n]: whether n codes can be made of whole blocks of the given sizes."""
    fillable = [False] * (total + 1)
    fillable[0] = True
    for n in range(1, total + 1):
        fillable[n] = any(s <= n and fillable[n - s] for s in sizes)
    return fillable


def permuted_blocks(
    rng: random.Random, arms: Sequence[str], per_stratum: int, block_sizes: Sequence[int]
) -> list[tuple[str, ...]]:
    """Whole blocks, each balanced and shuffled, of randomly chosen sizes that sum to per_stratum."""
    fillable = _fillable(per_stratum, block_sizes)
    blocks: list[tuple[str, ...]] = []
    remaining = per_stratum
    while remaining:
        # Only sizes that still let the rest be filled with whole blocks: every block stays balanced.
        choices = [s for s in sorted(block_sizes) if s <= remaining and fillable[remaining - s]]
        size = rng.choice(choices)
        block = [arms[i % len(arms)] for i in range(size)]
        rng.shuffle(block)
        blocks.append(tuple(block))
        remaining -= size
    return blocks


def generate_allocation(
    seed: int, strata: Sequence[str], arms: Sequence[str], per_stratum: int, block_sizes: Sequence[int]
) -> dict[str, list[tuple[str, ...]]]:
    """The arm sequence of each stratum as blocks; the same seed and settings give the same sequence."""
    # A seeded, reproducible generator is what a statistician documents in the trial master file;
    # the seed is never stored or shown, and the codes come from a separate, unseeded CSPRNG.
    rng = random.Random(seed)  # noqa: S311
    return {stratum: permuted_blocks(rng, arms, per_stratum, block_sizes) for stratum in strata}


def new_code(draw: Callable[[str], str], taken: set[str]) -> str:
    """A generated code whose key (see `code_key`) is not yet in `taken`; `draw(alphabet)` picks one
    character."""
    while True:
        code = "R" + "".join(draw(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code_key(code) not in taken:
            taken.add(code_key(code))
            return code


def code_problem(code: str, study_pattern: str | None = None) -> str | None:
    """Why `code` cannot be a randomization code (of a study narrowing the rule), or None."""
    if not CODE_PATTERN.fullmatch(code):
        return f"code {code!r} is not {CODE_RULE}"
    if study_pattern is not None and not re.fullmatch(study_pattern, code):
        return f"code {code!r} does not match the study's code pattern {study_pattern}"
    return None


# --- validating an imported list --------------------------------------------------------------


@dataclass(frozen=True)
class ParsedList:
    rows: list[ListRow]
    problems: dict[str, list[str]]
    # Every row that could be read, problems or not: what the import page previews.
    read: list[ListRow] = field(default_factory=list)


def _cells(line: list[str]) -> list[str]:
    """A line's cells as the author meant them: spreadsheets pad cells with spaces, and a file this app wrote
    carries a ' before a cell that would start a formula (a code may begin with '-')."""
    return [unneutralised_cell(cell.strip()) for cell in line]


def parse_list_csv(
    data: bytes,
    strata: Sequence[str],
    arms: Sequence[str],
    stored_codes: set[str],
    code_pattern: str | None = None,
) -> ParsedList:
    """Every row of a list file, and every problem keyed by 'line N' (or 'file'); any problem refuses all.

    Files saved by spreadsheets read as their authors see them: a UTF-8 byte-order mark, CRLF line ends,
    spaces around cells and blank lines are fine. `stored_codes` holds the stored codes' keys (`code_key`):
    a code is unique regardless of case."""
    problems: dict[str, list[str]] = {}
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ParsedList([], {"file": [f"is not UTF-8 text (byte {exc.start + 1} cannot be decoded)"]})
    try:
        lines = [
            (number, _cells(line))
            for number, line in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        ]
    except csv.Error as exc:
        return ParsedList([], {"file": [f"is not a readable CSV file ({exc})"]})
    lines = [(number, cells) for number, cells in lines if any(cells)]
    if not lines:
        return ParsedList([], {"file": ["is empty: it needs the header and at least one row"]})
    header_line, header = lines[0]
    if tuple(header) != CSV_HEADER:
        problems[f"line {header_line}"] = [f"the header must be exactly {','.join(CSV_HEADER)}"]
    rows: list[ListRow] = []
    first_line_of: dict[str, int] = {}
    for number, cells in lines[1:]:
        found = _row_problems(cells, strata, arms, code_pattern)
        if not found:
            row = ListRow(*cells)
            key = code_key(row.code)
            if key in stored_codes:
                found.append(f"code {row.code} is already stored: codes are only appended, never rewritten")
            elif key in first_line_of:
                found.append(
                    f"code {row.code} repeats line {first_line_of[key]} (codes are unique regardless of case)"
                )
            else:
                first_line_of[key] = number
            rows.append(row)
        if found:
            problems[f"line {number}"] = found
    if len(lines) == 1 and not problems:
        problems["file"] = ["has a header but no rows"]
    return ParsedList(rows if not problems else [], problems, rows)


def _row_problems(
    fields: list[str], strata: Sequence[str], arms: Sequence[str], code_pattern: str | None
) -> list[str]:
    if len(fields) != len(CSV_HEADER):
        return [f"has {len(fields)} fields; a row is randomization_code,stratum,arm"]
    code, stratum, arm = fields
    found = []
    problem = code_problem(code, code_pattern)
    if problem:
        found.append(problem)
    if stratum not in strata:
        found.append(f"unknown stratum {stratum!r}: the study's strata are {', '.join(strata)}")
    if arm not in arms:
        found.append(f"unknown arm {arm!r}: the study's arms are {', '.join(arms)}")
    return found
