"""Pure decisions about sites: their codes and kinds, and which sites a person works for."""

from __future__ import annotations

import re
from collections.abc import Iterable

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")
KINDS = ("manufacturing", "clinical", "both")
MAKES = ("manufacturing", "both")  # a site whose GMP lab makes and stores lots
TREATS = ("clinical", "both")  # a site with a pharmacy and a ward
# The site every database starts with (and every record made before sites existed belongs to): a one-site
# trial never needs another; a multi-site trial renames it and adds the others.
FIRST_SITE = "SITE-01"


def normal_code(text: object) -> str:
    return str(text or "").strip().upper()


def parse_codes(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """Site codes as an admin types them ("BJ01, SH02" or a list), upper case, each once, in order."""
    parts = text.replace(",", " ").split() if isinstance(text, str) else list(text or ())
    return tuple(dict.fromkeys(normal_code(p) for p in parts if normal_code(p)))


def codes_text(codes: Iterable[str]) -> str:
    """How a person's sites are stored: codes separated by spaces; empty means the whole trial."""
    return " ".join(codes)


def bad_codes(codes: Iterable[str]) -> list[str]:
    return [c for c in codes if not CODE_PATTERN.match(c)]


def kind_fits(kind: str, needed: tuple[str, ...] | None) -> bool:
    return needed is None or kind in needed
