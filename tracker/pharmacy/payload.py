"""The QR payload on a bag label: a version prefix, the bag ID and a short HMAC-SHA256 signature.

Fixed length, upper-case letters and digits only (the QR alphanumeric set, and what a keyboard-wedge scanner
can type back on any layout), identical in shape for every bag: it carries no arm, lot or sequence. The key is
passed in; this module never reads settings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from tracker.errors import Invalid
from tracker.pharmacy.bag_ids import LENGTH as BAG_ID_LENGTH
from tracker.pharmacy.bag_ids import is_bag_id

VERSION = "CT1"
SIGNATURE_LENGTH = 16  # base32 characters: 80 bits of HMAC-SHA256
LENGTH = len(VERSION) + BAG_ID_LENGTH + SIGNATURE_LENGTH
_DOMAIN = b"cell-therapy-tracker/bag-qr/v1\x00"
_ALPHABET = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LONGEST_RAW = 256  # anything longer is not a scan of our label


class UnreadablePayload(Invalid):
    """The scanned text is not shaped like a label's QR payload."""

    code = "unreadable_payload"


class BadSignature(Invalid):
    """The payload is shaped right but was not signed with this site's key (forged or mistyped)."""

    code = "bad_signature"


def _key_bytes(key: bytes | str) -> bytes:
    raw = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if not raw:
        raise ValueError("the QR signing key is empty")
    return raw


def _signature(bag_id: str, key: bytes | str) -> str:
    digest = hmac.new(_key_bytes(key), _DOMAIN + bag_id.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode("ascii")  # 10 bytes -> 16 characters, no padding


def make_payload(bag_id: str, key: bytes | str) -> str:
    """The QR payload for `bag_id`, signed with `key` (the app's QR_SIGNING_KEY)."""
    if not is_bag_id(bag_id):
        raise ValueError(f"not a bag ID: {bag_id!r}")
    return VERSION + bag_id + _signature(bag_id, key)


def read_payload(raw: object, key: bytes | str) -> str:
    """The bag ID in what a scanner typed, once its signature checks out.

    Tolerates surrounding spaces, a trailing CR/LF and lower case (a keyboard wedge with Caps Lock on).
    Raises `UnreadablePayload` when the text is not shaped like a payload, `BadSignature` when it is but the
    signature does not match.
    """
    if not isinstance(raw, str) or len(raw) > _LONGEST_RAW:
        raise UnreadablePayload("The scanned text is not a bag label's QR code.")
    text = raw.strip()
    # Only ASCII is upper-cased: str.upper() maps some other letters onto ASCII ones (e.g. "ı" to "I").
    if not text.isascii():
        raise UnreadablePayload("The scanned text is not a bag label's QR code.")
    text = text.upper()
    if len(text) != LENGTH or not text.startswith(VERSION) or not set(text) <= _ALPHABET:
        raise UnreadablePayload("The scanned text is not a bag label's QR code.")
    bag_id = text[len(VERSION) : len(VERSION) + BAG_ID_LENGTH]
    signature = text[len(VERSION) + BAG_ID_LENGTH :]
    if not is_bag_id(bag_id):
        raise UnreadablePayload("The scanned text is not a bag label's QR code (its bag ID does not check).")
    if not hmac.compare_digest(signature, _signature(bag_id, key)):
        raise BadSignature("The label's QR code is not signed by this site: do not use the bag.")
    return bag_id
