"""The one CSV writer of every file the app writes: cells that would run as spreadsheet formulas are
neutralised (see `tracker.text.safe_cell`), so an export is safe to open however its text was typed."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from tracker.text import safe_cell


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeCsvWriter:
    """csv.writer's `writerow`/`writerows`, every cell passed through `safe_cell` first."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """csv.DictWriter over SafeCsvWriter: the header first, then each row's values in column order."""

    def __init__(self, out: _Writable, columns: Sequence[str], **options: Any) -> None:
        self.columns = list(columns)
        self._writer = SafeCsvWriter(out, **options)

    def writeheader(self) -> None:
        self._writer.writerow(self.columns)

    def writerow(self, row: dict[str, Any]) -> None:
        self._writer.writerow(row.get(column, "") for column in self.columns)

    def writerows(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)
