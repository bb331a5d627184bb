"""The QR module matrix of a payload, computed once per payload (a bag's QR never changes)."""

from __future__ import annotations

from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

VERSION = 2  # every payload the label data allows fits; one version keeps every label's geometry the same
QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 requires
SIZE = 17 + 4 * VERSION  # modules per side, without the quiet zone


@lru_cache(maxsize=4096)
def qr_matrix(payload: str) -> tuple[tuple[bool, ...], ...]:
    """Dark (True) and light modules of the symbol, row by row from the top, without the quiet zone."""
    code = qrcode.QRCode(version=VERSION, error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(payload, optimize=0)
    code.make(fit=False)
    matrix = tuple(tuple(bool(module) for module in row) for row in code.get_matrix())
    if len(matrix) != SIZE:
        raise ValueError("the payload does not fit one QR version 2 symbol")
    return matrix


@lru_cache(maxsize=4096)
def dark_runs(payload: str) -> tuple[tuple[int, int, int], ...]:
    """Horizontal runs of dark modules as (row, first column, length): fewer path segments than modules."""
    runs = []
    for y, row in enumerate(qr_matrix(payload)):
        x = 0
        while x < SIZE:
            if row[x]:
                start = x
                while x < SIZE and row[x]:
                    x += 1
                runs.append((y, start, x - start))
            else:
                x += 1
    return tuple(runs)
