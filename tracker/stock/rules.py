"""Pure decisions about issue kits: whether a request is whole kits, what is missing, and how the containers
group into kits; and how near a lot is to its expiry (the stock report's days and colour bands)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TypeVar
from zoneinfo import ZoneInfo

from tracker.translation import N_

T = TypeVar("T")

# How people name the materials in the lab and the pharmacy.
MATERIAL_WORDS = {"ucmsc": "UC-MSC", "placebo": N_("vehicle")}  # marked: a refusal's parameter

KIT_ID_PREFIX, KIT_ID_BODY = "K", 9
# At most this many containers in one issue request (many kits at once, still one transaction).
MAX_CONTAINERS_PER_ISSUE = 400
MAX_KITS_PER_ISSUE = 100


def material_word(material: str) -> str:
    return MATERIAL_WORDS.get(material, material)


def _containers(count: int, material: str) -> str:
    return f"{count} {material_word(material)} container{'s' if count != 1 else ''}"


def kit_text(kit: Mapping[str, int]) -> str:
    """What one kit holds, in words: "1 UC-MSC container and 1 vehicle container"."""
    parts = [_containers(count, material) for material, count in kit.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def kits_needed(kit: Mapping[str, int], materials: Sequence[str]) -> int:
    """How many kits the containers of `materials` would fill (at least one)."""
    return max(
        [1, *(-(-sum(1 for m in materials if m == material) // count) for material, count in kit.items())]
    )


def kit_shortfall(kit: Mapping[str, int], materials: Sequence[str]) -> dict[str, int]:
    """Containers missing, per material, for the request to be whole kits; empty when it is."""
    kits = kits_needed(kit, materials)
    missing = {}
    for material, count in kit.items():
        short = kits * count - sum(1 for m in materials if m == material)
        if short > 0:
            missing[material] = short
    return missing


def foreign_materials(kit: Mapping[str, int], materials: Sequence[str]) -> list[str]:
    """Materials in the request that no kit holds."""
    return sorted({m for m in materials if m not in kit})


def incomplete_kit_message(kit: Mapping[str, int], missing: Mapping[str, int], foreign: Sequence[str]) -> str:
    """Why the request is not whole kits, in plain words."""
    said = [f"A kit is {kit_text(kit)}"]
    if missing:
        lacking = " and ".join(_containers(n, m) for m, n in missing.items())
        said.append(f"{lacking} {'is' if sum(missing.values()) == 1 else 'are'} missing to make whole kits")
    if foreign:
        said.append(f"a kit holds no {' or '.join(material_word(m) for m in foreign)} containers")
    return ": ".join(said[:2]) + ("; " + said[2] if len(said) > 2 else "")


def group_into_kits(kit: Mapping[str, int], items: Sequence[tuple[str, T]]) -> list[list[T]]:
    """The items (material, thing), already whole kits, grouped into kits: the n-th kit takes the n-th share
    of each material in the order given; each kit keeps its items in the order given."""
    seen: dict[str, int] = {}
    kit_of = []
    for material, _ in items:
        kit_of.append(seen.get(material, 0) // kit[material])
        seen[material] = seen.get(material, 0) + 1
    return [
        [thing for (_, thing), k in zip(items, kit_of, strict=True) if k == n]
        for n in range(kits_needed(kit, [m for m, _ in items]))
    ]


# ---- days to expiry -------------------------------------------------------------------------------------

# The colour bands of the stock report: expired, then under each of these many days, then beyond.
EXPIRY_BANDS = ((30, "under_30_days"), (90, "under_90_days"))
EXPIRY_BAND_NAMES = ("expired", *(name for _, name in EXPIRY_BANDS), "beyond_90_days")


def days_to_expiry(expires_at: dt.datetime, now: dt.datetime, zone: str) -> int:
    """Whole calendar days (in the site's zone) from today to the expiry day; negative once past it."""
    tz = ZoneInfo(zone)
    return (expires_at.astimezone(tz).date() - now.astimezone(tz).date()).days


def expiry_band(expires_at: dt.datetime, now: dt.datetime, zone: str) -> str:
    """`expired` (as the lot rules say: at its expiry time), else the first band its days fall under."""
    if expires_at <= now:
        return "expired"
    days = days_to_expiry(expires_at, now, zone)
    return next((name for limit, name in EXPIRY_BANDS if days < limit), "beyond_90_days")
