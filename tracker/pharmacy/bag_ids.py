"""Bag IDs: one fixed format for every bag, random so that the order bags are made in leaks nothing."""

from __future__ import annotations

from tracker.checkchar import RANDOM_ALPHABET, is_random_id, new_random_id

PREFIX = "B"
BODY_ALPHABET = RANDOM_ALPHABET
BODY_LENGTH = 10
LENGTH = len(PREFIX) + BODY_LENGTH + 1


def new_bag_id() -> str:
    """A fresh random bag ID: `B`, ten random characters, a Mod 37-2 check character."""
    return new_random_id(PREFIX, BODY_LENGTH)


def is_bag_id(text: object) -> bool:
    """Whether `text` is a bag ID of the one format, with the right check character."""
    return is_random_id(text, PREFIX, BODY_LENGTH)
