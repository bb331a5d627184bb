"""What a bag label may say: study text, the bag's identifiers and times. There is no field for what is in
the bag or where it came from, so a label cannot be made to show it."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Characters of the fields that differ from bag to bag. The renderers know them all up front, so every label
# embeds the same font subset whatever its IDs are.
IDENTIFIER_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./"
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*")
# The QR alphanumeric set: the payload stays in alphanumeric mode and so in one QR version.
QR_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
QR_PAYLOAD_MAX = 38  # what QR version 2 holds at error correction M in alphanumeric mode

_TEXT_LIMITS = {
    "product_text": 40,
    "route": 28,
    "volume_text": 12,
    "protocol": 20,
    "storage": 110,
    "statement": 40,
    "emergency_contact": 110,
}
_IDENTIFIER_LIMITS = {"participant_id": 14, "randomization_code": 14, "bag_id": 14}
# The study's text in Chinese, printed beneath its English when given (empty: an English-only label).
_CHINESE_LIMITS = {
    "product_text_zh": 30,
    "route_zh": 12,
    "storage_zh": 40,
    "statement_zh": 16,
    "emergency_contact_zh": 50,
}


class LabelDataError(ValueError):
    """The label data cannot be printed as given."""


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the label's table: a field's English name and its value."""

    key: str
    value: str
    emphasised: bool  # what the bedside check compares stands out


@dataclass(frozen=True, slots=True)
class Note:
    """A line (or two) beneath the table: the study's text, its Chinese (or ""), and the lines it may take."""

    text: str
    chinese: str
    emphasised: bool
    most_lines: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelData:
    product_text: str
    route: str
    volume_text: str
    protocol: str
    participant_id: str
    randomization_code: str
    bag_id: str
    prepared_at: datetime
    use_by: datetime
    storage: str
    statement: str
    emergency_contact: str
    qr_payload: str
    time_zone: str
    product_text_zh: str = ""
    route_zh: str = ""
    storage_zh: str = ""
    statement_zh: str = ""
    emergency_contact_zh: str = ""

    def __post_init__(self) -> None:
        for name, limit in _TEXT_LIMITS.items():
            _check_text(name, getattr(self, name), limit)
        for name, limit in _CHINESE_LIMITS.items():
            if getattr(self, name) != "":
                _check_text(name, getattr(self, name), limit)
        for name, limit in _IDENTIFIER_LIMITS.items():
            value = getattr(self, name)
            _check_text(name, value, limit)
            if not _IDENTIFIER.fullmatch(value):
                raise LabelDataError(f"{name} may hold only letters, digits and - _ . /")
        for name in ("prepared_at", "use_by"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
                raise LabelDataError(f"{name} must be a time with a time zone")
        if self.use_by <= self.prepared_at:
            raise LabelDataError("use_by must be after prepared_at")
        _check_text("qr_payload", self.qr_payload, QR_PAYLOAD_MAX)
        if not set(self.qr_payload) <= set(QR_ALPHANUMERIC):
            raise LabelDataError("qr_payload must use only the QR alphanumeric characters")
        if not isinstance(self.time_zone, str):
            raise LabelDataError("time_zone must be a time-zone name such as 'Asia/Shanghai'")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise LabelDataError(f"unknown time zone {self.time_zone!r}") from error

    def local(self, moment: datetime) -> str:
        """A time as printed: fixed width, in the site's zone, with its UTC offset."""
        local = moment.astimezone(ZoneInfo(self.time_zone))
        offset = local.strftime("%z")
        return f"{local:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"

    @property
    def bilingual(self) -> bool:
        return any(getattr(self, name) for name in _CHINESE_LIMITS)

    @property
    def rows(self) -> tuple[Row, ...]:
        """The label's table, in order: one list for every renderer (PDF and ZPL)."""
        return (
            Row("Route", self.route, False),
            Row("Volume", self.volume_text, False),
            Row("Protocol", self.protocol, False),
            Row("Participant", self.participant_id, False),
            Row("Rand. code", self.randomization_code, True),
            Row("Bag ID", self.bag_id, True),
            Row("Prepared", self.prepared_text, False),
            Row("Use by", self.use_by_text, True),
        )

    @property
    def notes(self) -> tuple[Note, ...]:
        """The lines beneath the table, in order: storage, the statement, the emergency contact."""
        return (
            Note(self.storage, self.storage_zh, False, 2),
            Note(self.statement, self.statement_zh, True, 1),
            Note(self.emergency_contact, self.emergency_contact_zh, False, 2),
        )

    @property
    def prepared_text(self) -> str:
        return self.local(self.prepared_at)

    @property
    def use_by_text(self) -> str:
        return self.local(self.use_by)


FIELD_NAMES = tuple(field.name for field in dataclasses.fields(LabelData))


def _check_text(name: str, value: object, limit: int) -> None:
    if not isinstance(value, str):
        raise LabelDataError(f"{name} must be text")
    if not value or value != value.strip():
        raise LabelDataError(f"{name} must not be empty or start or end with a space")
    if len(value) > limit:
        raise LabelDataError(f"{name} is longer than {limit} characters")
    if any(not char.isprintable() for char in value):
        raise LabelDataError(f"{name} holds a control character")
