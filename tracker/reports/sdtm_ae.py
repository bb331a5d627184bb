"""The adverse event dataset in CDISC SDTM AE form: one row per adverse event, the same for every reader
(nothing in it differs by arm: no treatment, lot, material or bag)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tracker.adverse_events.services import events_for_export
from tracker.db import UnitOfWork
from tracker.reports.sdtm import _iso
from tracker.studies.services import current_study

AE_COLUMNS = (
    "STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AETERM", "AESTDTC", "AEENDTC", "AETOXGR", "AESER", "AEREL",
    "AEACN", "AEOUT", "AECONTRT", "AESDTH", "AESLIFE", "AESHOSP", "AESDISAB", "AESCONG", "AESMIE",
)  # fmt: skip
# The tracker's words for the investigator's judgement in the sponsor's usual AEREL terms (AEREL is not a
# CDISC codelist; these are the common ones).
AEREL_TERMS: Mapping[str, str] = {
    "not_related": "NOT RELATED", "unlikely": "UNLIKELY RELATED", "possible": "POSSIBLY RELATED",
    "probable": "PROBABLY RELATED", "definite": "RELATED",
}  # fmt: skip
# CDISC CT C66768 (OUT): outcome of event.
AEOUT_TERMS: Mapping[str, str] = {
    "recovered": "RECOVERED/RESOLVED", "recovering": "RECOVERING/RESOLVING",
    "not_recovered": "NOT RECOVERED/NOT RESOLVED",
    "recovered_with_sequelae": "RECOVERED/RESOLVED WITH SEQUELAE", "fatal": "FATAL", "unknown": "UNKNOWN",
}  # fmt: skip
# CDISC CT C66767 (ACN): action taken with study treatment. One dose, given as an infusion: what the nurse
# did to the infusion, the strongest first when there were several.
AEACN_BY_ACTION = (
    ("infusion_stopped", "DRUG WITHDRAWN"), ("infusion_interrupted", "DRUG INTERRUPTED"),
    ("infusion_slowed", "DOSE RATE REDUCED"),
)  # fmt: skip
AEACN_NOT_CHANGED, AEACN_NOT_APPLICABLE = "DOSE NOT CHANGED", "NOT APPLICABLE"
# SDTM's seriousness flags by the tracker's criteria (CT NY: Y or N).
SERIOUSNESS_FLAGS: Mapping[str, str] = {
    "AESDTH": "death", "AESLIFE": "life_threatening", "AESHOSP": "hospitalisation", "AESDISAB": "disability",
    "AESCONG": "congenital_anomaly", "AESMIE": "other_medically_important",
}  # fmt: skip


def _yn(flag: bool) -> str:
    return "Y" if flag else "N"


def action_term(actions: Iterable[str], onset_at: Any, infusion_completed_at: Any) -> str:
    """AEACN: the strongest change to the infusion; none while it ran is DOSE NOT CHANGED, and an event that
    began after the one dose was complete is NOT APPLICABLE (there was no treatment left to act on)."""
    taken = set(actions)
    for action, term in AEACN_BY_ACTION:
        if action in taken:
            return term
    if infusion_completed_at is not None and onset_at >= infusion_completed_at:
        return AEACN_NOT_APPLICABLE
    return AEACN_NOT_CHANGED


def adverse_event_row(study_id: str, seq: int, event: Mapping[str, Any]) -> dict[str, Any]:
    criteria = set(event["seriousness_criteria"])
    # The criteria flags go with a serious event; for a non-serious one SDTMIG leaves them null.
    flags = {
        name: _yn(criterion in criteria) if event["serious"] else ""
        for name, criterion in SERIOUSNESS_FLAGS.items()
    }
    return {
        "STUDYID": study_id,
        "DOMAIN": "AE",
        "USUBJID": f"{study_id}-{event['participant_id']}",
        "AESEQ": seq,
        "AETERM": event["description"],
        "AESTDTC": _iso(event["onset_at"]),
        "AEENDTC": _iso(event["resolved_at"]),
        "AETOXGR": str(event["grade"]),
        "AESER": _yn(event["serious"]),
        "AEREL": AEREL_TERMS.get(event["causality"] or "", ""),
        "AEACN": action_term(event["actions_taken"], event["onset_at"], event["infusion_completed_at"]),
        "AEOUT": AEOUT_TERMS.get(event["outcome"] or "", ""),
        "AECONTRT": _yn("treated" in event["actions_taken"]),
        **flags,
    }


def adverse_event_rows(uow: UnitOfWork) -> list[dict[str, Any]]:
    """AE rows by subject, then onset; AESEQ numbers each subject's events from 1."""
    events = events_for_export(uow)
    with uow:
        study_id = current_study(uow.session).code.upper()
    rows, seq_by_subject = [], {}
    for event in events:
        seq = seq_by_subject[event["participant_id"]] = seq_by_subject.get(event["participant_id"], 0) + 1
        rows.append(adverse_event_row(study_id, seq, event))
    return rows
