"""Text as it arrives from people, scanners and spreadsheets: one rule each, shared by every feature."""

from __future__ import annotations

import re
from typing import Any

# Control characters a person cannot mean in a text field; tab and newline are text (a note's lines).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# What a keyboard-wedge scanner adds around what it read.
_SCANNER_PADDING = " \r\n"
# A cell beginning with one of these runs as a formula in a spreadsheet (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


CONTROL_CHARACTERS = "must not contain control characters (only tab and newline are allowed in text)"


def control_character_problems(raw: dict[str, Any]) -> dict[str, list[str]]:
    """Every field of a request whose text (a key or value at any depth) holds a control character."""
    problems: dict[str, list[str]] = {}
    for key, value in raw.items():
        stack = [key, value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if has_control_characters(item):
                    problems["_schema" if has_control_characters(key) else key] = [CONTROL_CHARACTERS]
                    break
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return problems


def scanner_text(raw: str) -> str:
    """What a scanner typed, without the spaces, CR and LF around it."""
    return raw.strip(_SCANNER_PADDING)


def participant_key(participant_id: str) -> str:
    """The one form in which participant IDs are compared: trimmed, without regard to case. IDs are ASCII
    letters, digits and dashes, so this is also what SQL's upper() gives."""
    return participant_id.strip(_SCANNER_PADDING + "\t").upper()


def code_key(code: str) -> str:
    """Randomization codes are unique without regard to case (ASCII only, like SQL's upper())."""
    return code.upper()


def safe_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: a leading ' before anything that would start a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def unneutralised_cell(value: str) -> str:
    """The cell `safe_cell` was given, read back from a file the app wrote (a list export re-imported)."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value
