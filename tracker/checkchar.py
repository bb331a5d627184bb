"""ISO 7064 Mod 37-2 check characters (the algorithm ISBT 128 uses; we claim no ISBT 128 conformance)."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def mod37_2(data: str) -> str:
    """The check character for `data` (digits and upper-case letters)."""
    total = 0
    for char in data:
        if char not in _VALUE or char == "*":
            raise ValueError(f"{char!r} cannot be part of a Mod 37-2 checked identifier")
        total = ((total + _VALUE[char]) * 2) % 37
    return ALPHABET[(38 - total) % 37]


def with_check(data: str) -> str:
    return data + mod37_2(data)


def is_valid(identifier: str) -> bool:
    """Whether the last character is the right check character for the rest."""
    if len(identifier) < 2:
        return False
    try:
        return mod37_2(identifier[:-1]) == identifier[-1]
    except ValueError:
        return False
