"""Pure bedside decisions: may this bag go to this participant now, are the infusion's facts possible."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.text import participant_key
from tracker.translation import N_

# The refusals of a scan, in the order the contract checks them: the first that applies is the answer.
SCAN_REFUSALS = (
    "already_infused", "voided", "destroyed", "expired", "quarantined", "not_received", "wrong_participant",
)  # fmt: skip

# What the nurse reads on the STOP screen and in the API's error message: never anything about the arm.
REFUSAL_MESSAGES = {
    "already_infused": N_("This bag or this participant has already been infused: do not infuse."),
    "voided": N_("The pharmacy voided this bag: do not infuse, return it to the pharmacy."),
    "destroyed": N_("This bag was recorded as destroyed: do not infuse."),
    "expired": N_("This bag is past its use-by time: do not infuse, return it to the pharmacy."),
    "quarantined": N_("This bag is in quarantine until the pharmacy decides: do not infuse."),
    "not_received": N_("This bag has not been received on the ward: record its receipt first."),
    "wrong_participant": N_("This bag is not for this participant: STOP, check the wristband and the label."),
    "unreadable_payload": N_("The scanned text is not a bag label's QR code: scan the label again."),
    "bad_signature": N_("The label's QR code is not signed by this site: do not use the bag."),
    "unknown_bag": N_("The label is signed by this site but names no bag here: do not use it."),
    "unknown_participant": N_("No participant has this ID: check the wristband."),
}


@dataclass(frozen=True)
class BagAtBedside:
    status: str  # the stored custody status
    use_by: dt.datetime
    quarantined: bool
    participant_id: str


def scan_refusal(
    bag: BagAtBedside, participant_id: str, participant_infused: bool, now: dt.datetime
) -> str | None:
    """Why this bag may not be given to this participant now (the first reason in contract order), or None."""
    if bag.status == "infused" or participant_infused:
        return "already_infused"
    if bag.status in ("voided", "destroyed"):
        return bag.status
    if bag.status == "expired" or bag.use_by <= now:
        return "expired"
    if bag.quarantined:
        return "quarantined"
    if bag.status != "received":
        return "not_received"
    if participant_key(bag.participant_id) != participant_key(participant_id):
        return "wrong_participant"
    return None


def volume_problem(volume_ml: float, bag_volume_ml: float, tolerance_ml: float) -> str | None:
    """Why a recorded infused volume cannot be right (more than the bag held), or None."""
    if volume_ml > bag_volume_ml + tolerance_ml + 1e-9:
        return f"may not exceed the bag's {bag_volume_ml:g} mL"
    return None
