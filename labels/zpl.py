"""ZPL II for a 203 dpi thermal printer (8 dots per mm), 60 x 40 mm stock, and sending it over raw TCP.

Every label is the same program with the same field positions and sizes; only the field data differ.
English only: the printer's resident fonts have no Chinese glyphs, and a Chinese font downloaded to the
printer is a site's setup the app cannot count on, so the `*_zh` fields are the PDF label's alone.
"""

from __future__ import annotations

import socket

from labels.data import LabelData

DOTS_PER_MM = 8
WIDTH = 60 * DOTS_PER_MM
HEIGHT = 40 * DOTS_PER_MM
MARGIN = 12
QR_MAGNIFICATION = 4  # dots per module: 0.5 mm, as on the PDF label
QR_QUIET = 4 * QR_MAGNIFICATION
QR_SIDE = 25 * QR_MAGNIFICATION  # version 2 symbol
KEY_X = MARGIN
VALUE_X = MARGIN + 80
ROW_TOP = 42
ROW_STEP = 22
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789", strict=True))
# Bytes ZPL would read as commands, or as the ^FH escape itself, go in as _XX hex escapes.
_ESCAPES = {"^": "_5E", "~": "_7E", "_": "_5F"}


class PrinterError(OSError):
    """The label printer could not be reached or did not take the whole label."""


def _field_text(text: str) -> str:
    # The printer's resident font has no superscript digits: "10⁸" prints as "10^8".
    out = []
    for i, char in enumerate(text):
        if char in _SUPERSCRIPTS:
            out.append(("" if i and text[i - 1] in _SUPERSCRIPTS else "^") + _SUPERSCRIPTS[char])
        else:
            out.append(char)
    return "".join(_ESCAPES.get(char, char) for char in "".join(out))


def _text(x: int, y: int, height: int, text: str, block: tuple[int, int] | None = None) -> str:
    fb = f"^FB{block[0]},{block[1]},0,L,0" if block else ""
    return f"^FO{x},{y}^A0N,{height},{height}{fb}^FH_^FD{_field_text(text)}^FS"


def render_label_zpl(data: LabelData) -> str:
    """The label as one ZPL II program (UTF-8 text, `^CI28`)."""
    if not isinstance(data, LabelData):
        raise TypeError("render_label_zpl needs a LabelData")
    full = WIDTH - 2 * MARGIN
    parts = ["^XA", "^CI28", f"^PW{WIDTH}", f"^LL{HEIGHT}", "^LH0,0", "^PON"]
    parts.append(_text(MARGIN, MARGIN, 24, data.product_text))
    for index, row in enumerate(data.rows):
        y = ROW_TOP + index * ROW_STEP
        parts.append(_text(KEY_X, y + 3, 15, row.key))
        parts.append(_text(VALUE_X, y, 19 if row.emphasised else 17, row.value))
    qr_x = WIDTH - MARGIN - QR_QUIET - QR_SIDE
    parts.append(f"^FO{qr_x},{ROW_TOP + QR_QUIET - 10}^BQN,2,{QR_MAGNIFICATION}^FDMA,{data.qr_payload}^FS")
    y = ROW_TOP + len(data.rows) * ROW_STEP + 4
    # The notes at fixed offsets and sizes; a one-line note is a single field, a longer one a wrapped block.
    for offset, size, note in zip((0, 34, 52), (15, 16, 15), data.notes, strict=True):
        block = (full, note.most_lines) if note.most_lines > 1 else None
        parts.append(_text(MARGIN, y + offset, size, note.text, block))
    parts.append("^PQ1")
    parts.append("^XZ")
    return "\n".join(parts) + "\n"


def send_zpl(host: str, port: int, zpl: str, timeout: float = 5.0) -> None:
    """Send a ZPL program to a printer's raw port (usually 9100) and close the connection.

    Raises `PrinterError` when the printer cannot be reached or the connection breaks while sending.
    """
    if not isinstance(zpl, str) or not zpl.lstrip().startswith("^XA") or "^XZ" not in zpl:
        raise ValueError("not a ZPL label program (^XA ... ^XZ)")
    payload = zpl.encode("utf-8")
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(payload)
            connection.shutdown(socket.SHUT_WR)
    except OSError as error:
        raise PrinterError(f"label printer {host}:{port} did not take the label: {error}") from error
