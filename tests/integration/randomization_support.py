"""Helpers for tests that need a randomization list: known codes, as the CSV a statistician imports."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from tracker.randomization.rules import CODE_ALPHABET

ARM_WORDS = ("active", "placebo", "ucmsc")


def fresh_code() -> str:
    return "R" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def list_rows(per_stratum: int = 4, strata: str = "ABCDE") -> list[tuple[str, str, str]]:
    return [
        (fresh_code(), stratum, ("active", "placebo")[i % 2])
        for stratum in strata
        for i in range(per_stratum)
    ]


def list_csv(rows: list[tuple[str, str, str]], header: str = "randomization_code,stratum,arm") -> bytes:
    return ("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode()


def import_list(runner: Any, tmp_path: Path, rows: list[tuple[str, str, str]]) -> Path:
    path = tmp_path / f"list-{secrets.token_hex(4)}.csv"
    path.write_bytes(list_csv(rows))
    result = runner.invoke(args=["randomization", "import", str(path)])
    assert result.exit_code == 0, result.output
    return path


def mentions_an_arm(answer: Any) -> bool:
    """Whether a JSON answer has the key `arm` anywhere or any arm word as a value."""
    if isinstance(answer, dict):
        return "arm" in answer or any(mentions_an_arm(v) for v in answer.values())
    if isinstance(answer, list):
        return any(mentions_an_arm(v) for v in answer)
    return isinstance(answer, str) and any(word in answer.lower() for word in ARM_WORDS)


def text_mentions_an_arm(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in ARM_WORDS) or '"arm"' in lowered


def dumps(answer: Any) -> str:
    return json.dumps(answer)
