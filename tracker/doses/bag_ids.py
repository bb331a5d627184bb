"""Bag IDs: one fixed format for every bag, random so that the order bags are made in leaks nothing."""

from __future__ import annotations

import re
import secrets

from tracker.checkchar import is_valid, mod37_2

PREFIX = "B"
# Digits and upper-case letters without the look-alikes 0/O, 1/I/L, so a hand-typed ID survives.
BODY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BODY_LENGTH = 10
LENGTH = len(PREFIX) + BODY_LENGTH + 1

_SHAPE = re.compile(rf"{PREFIX}[{BODY_ALPHABET}]{{{BODY_LENGTH}}}[0-9A-Z]")


def new_bag_id() -> str:
    """A fresh random bag ID: `B`, ten random characters, a Mod 37-2 check character.

    A draw whose check character would be `*` is drawn again, so IDs stay letters and digits (safe in a URL
    and on any keyboard); the result is still uniform over the IDs that remain.
    """
    while True:
        body = PREFIX + "".join(secrets.choice(BODY_ALPHABET) for _ in range(BODY_LENGTH))
        check = mod37_2(body)
        if check != "*":
            return body + check


def is_bag_id(text: object) -> bool:
    """Whether `text` is a bag ID of the one format, with the right check character."""
    return isinstance(text, str) and _SHAPE.fullmatch(text) is not None and is_valid(text)
