"""ISO 7064 Mod 37-2 check characters (the algorithm ISBT 128 uses; we claim no ISBT 128 conformance)."""

from __future__ import annotations

import re
import secrets

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


# Digits and upper-case letters without the look-alikes 0/O, 1/I/L, so a hand-typed ID survives.
RANDOM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_random_id(prefix: str, body_length: int) -> str:
    """`prefix`, random characters, a check character: random so that the order IDs are made in leaks nothing.

    A draw whose check character would be `*` is drawn again, so IDs stay letters and digits (safe in a URL
    and on any keyboard); the result is still uniform over the IDs that remain.
    """
    while True:
        body = prefix + "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(body_length))
        check = mod37_2(body)
        if check != "*":
            return body + check


def is_random_id(text: object, prefix: str, body_length: int) -> bool:
    """Whether `text` has the shape `new_random_id(prefix, body_length)` makes and a right check character."""
    shape = rf"{re.escape(prefix)}[{RANDOM_ALPHABET}]{{{body_length}}}[0-9A-Z]"
    return isinstance(text, str) and re.fullmatch(shape, text) is not None and is_valid(text)
