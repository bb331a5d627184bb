"""Marking text for translation where it is written; the pages translate it when they show it."""


def N_(message: str) -> str:  # noqa: N802 - the marker name pybabel extracts by default
    """Marks a string for the catalogue where it is translated later (refusals, role names, titles)."""
    return message
