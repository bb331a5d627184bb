"""Test helpers for labels: realistic label data, and a small reader for the PDFs reportlab writes."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import UTC, datetime, timedelta

from labels import LabelData
from tracker.pharmacy.bag_ids import is_bag_id, new_bag_id
from tracker.pharmacy.payload import make_payload
from tracker.studies.definition import parse_definition
from tracker.studies.services import read_definition_file

KEY = "label-test-signing-key"
STUDY = parse_definition(read_definition_file("umsis"))
PREPARED = datetime(2026, 3, 14, 1, 26, 41, tzinfo=UTC)
CHINESE = STUDY.translations["zh"]


def sample_label(**overrides) -> LabelData:
    """A label as the pharmacy would print it for UMSIS, with a fresh random bag ID unless given."""
    bag_id = overrides.pop("bag_id", None) or new_bag_id()
    prepared_at = overrides.pop("prepared_at", PREPARED)
    values = {
        "product_text": STUDY.label["product"],
        "route": STUDY.label["route"],
        "volume_text": "100 mL",
        "protocol": STUDY.protocol,
        "participant_id": "UMS-01-0042",
        "randomization_code": "R-A-0107",
        "bag_id": bag_id,
        "prepared_at": prepared_at,
        "use_by": (prepared_at if isinstance(prepared_at, datetime) else PREPARED)
        + timedelta(minutes=STUDY.use_by_minutes),
        "storage": STUDY.label["storage"],
        "statement": STUDY.label["statement"],
        "emergency_contact": STUDY.label["emergency_contact"],
        "qr_payload": make_payload(bag_id, KEY) if is_bag_id(bag_id) else "NOT-A-BAG",
        "time_zone": "Asia/Shanghai",
        # Bilingual, as the pharmacy prints a UMSIS label.
        **{
            f"{field}_zh": CHINESE[STUDY.label[key]]
            for field, key in (
                ("product_text", "product"),
                ("route", "route"),
                ("storage", "storage"),
                ("statement", "statement"),
                ("emergency_contact", "emergency_contact"),
            )
        },  # fmt: skip
    }
    values.update(overrides)
    return LabelData(**values)


_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STREAM = re.compile(rb"(.*?)stream\r?\n(.*)endstream\s*", re.S)


def pdf_objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Each object's dictionary and, for streams, the decoded stream data."""
    objects = {}
    for match in _OBJECT.finditer(pdf):
        body = match.group(2)
        stream = _STREAM.fullmatch(body)
        if not stream:
            objects[int(match.group(1))] = (body, None)
            continue
        head, data = stream.group(1), stream.group(2).rstrip(b"\r\n")
        if b"/ASCII85Decode" in head:
            data = base64.a85decode(data, adobe=data.endswith(b"~>") and not data.startswith(b"<~"))
        if b"/FlateDecode" in head:
            data = zlib.decompress(data)
        objects[int(match.group(1))] = (head, data)
    return objects


def page_contents(pdf: bytes) -> list[bytes]:
    """The decoded content stream of every page, in page order."""
    objects = pdf_objects(pdf)
    numbers = [int(n) for n in re.findall(rb"/Contents (\d+) 0 R", pdf)]
    return [objects[n][1] for n in numbers]


_TOKEN = re.compile(
    rb"\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f\s]*>|/[^\s/\[\]()<>]+|[-+]?\d*\.?\d+|[A-Za-z'\"*]+|\[|\]"
)


def drawing_operators(content: bytes) -> list[str]:
    """The content stream as tokens: every string masked, each run of rectangles (the QR path) collapsed.

    Two labels whose lists are equal draw the same things in the same places with the same fonts, sizes and
    colours; only the text of their strings and the QR modules may differ.
    """
    tokens = [t.decode("latin-1") for t in _TOKEN.findall(content)]
    out: list[str] = []
    for token in tokens:
        if token.startswith("(") or token.startswith("<"):
            out.append("<string>")
        elif token == "re":
            del out[-4:]
            if not out or out[-1] != "<qr path>":
                out.append("<qr path>")
        else:
            out.append(token)
    return out
