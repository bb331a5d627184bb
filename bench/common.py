"""Shared helpers for the benchmarks: figures printed as JSON lines and a table, scratch databases."""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

FIGURES: list[dict] = []


def figure(
    name: str,
    value: float,
    unit: str,
    floor: float | None,
    ratio: float | None,
    note: str = "",
    *,
    goal: str | None = None,
    met: bool | None = None,
) -> dict:
    """One figure next to its floor; `goal` says what it should reach and `met` whether it did."""
    row = {
        "name": name,
        "value": round(value, 4),
        "unit": unit,
        "floor": None if floor is None else round(floor, 4),
        "ratio": None if ratio is None else round(ratio, 3),
    }
    if goal is not None:
        row["goal"], row["met"] = goal, bool(met)
    if note:
        row["note"] = note
    FIGURES.append(row)
    print(json.dumps(row), flush=True)
    return row


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def print_table() -> None:
    print()
    print(f"{'figure':<64} {'value':>10} {'unit':<7} {'floor':>10} {'ratio':>6}  goal")
    for row in FIGURES:
        floor = "" if row["floor"] is None else f"{row['floor']:.4g}"
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        goal = "" if "goal" not in row else f"{row['goal']}: {'met' if row['met'] else 'MISSED'}"
        print(f"{row['name']:<64} {row['value']:>10.4g} {row['unit']:<7} {floor:>10} {ratio:>6}  {goal}")
    notes = [row for row in FIGURES if row.get("note")]
    for row in notes:
        print(f"  note, {row['name']}: {row['note']}")


@contextmanager
def scratch_database(kind: str):
    """A fresh, empty database URL: an SQLite file, or a new PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    base = make_url(os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    name = f"tracker_bench_{uuid.uuid4().hex[:8]}"
    params = {"host": base.host, "port": base.port or 5432, "user": base.username, "dbname": base.database}
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
