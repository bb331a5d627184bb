"""Pure decisions about shipments: the order of their steps and expected against received."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SHIPMENT_ID_PREFIX, SHIPMENT_ID_BODY = "SH", 8
STATUSES = ("planned", "dispatched", "received")
NEXT = {"dispatch": ("planned", "dispatched"), "receive": ("dispatched", "received")}
# Who makes and dispatches a shipment (the GMP lab), who receives it (the site pharmacy), who reads them.
SENDERS = ("gmp",)
RECEIVERS = ("pharmacist",)
READERS = ("gmp", "pharmacist", "qa")
# The dry shipper's allowed range is the study's range for this kind of storage unit.
SHIPPER_KIND = "dry_shipper"


def normal_id(text: str) -> str:
    return (text or "").strip().upper()


def compare(manifest: Iterable[str], received: Iterable[str]) -> dict[str, list[str]]:
    """Expected against received: missing (on the manifest, not received), extra (received, not on it)."""
    expected, got = list(dict.fromkeys(manifest)), list(dict.fromkeys(received))
    return {
        "missing": [c for c in expected if c not in set(got)],
        "extra": [c for c in got if c not in set(expected)],
        "received": [c for c in got if c in set(expected)],
    }


def whole_kits(kit_of: Mapping[str, int], usable: Iterable[str]) -> list[str]:
    """The usable containers whose whole kit is usable (received, not damaged), in the order given."""
    usable = list(usable)
    kits: dict[int, list[str]] = {}
    for cid, kit in kit_of.items():
        kits.setdefault(kit, []).append(cid)
    return [c for c in usable if c in kit_of and all(m in usable for m in kits[kit_of[c]])]
