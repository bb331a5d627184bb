"""The audit trail in the reader's words: each action and each recorded field by its name, values that are
statuses, roles, codes or the study's own words translated. The page and the printable trail both read an
event through `AuditWords`, so they say the same; IDs, hashes, user names and reasons stay as recorded.

A new action or field needs a line here: tests/unit/test_audit_wording.py finds every one the code records."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from tracker.audit import changes
from tracker.translation import N_
from tracker.web.filters import status_word, study_text

# What each recorded action did, as people say it.
ACTION_WORDS = {
    # deviations and CAPA
    "raise": N_("Raise deviation"), "transition": N_("Move deviation on"), "close": N_("Close deviation"),
    # sites
    "change_site": N_("Change site"),
    # accounts
    "create": N_("Create"), "update": N_("Update account"), "enable": N_("Enable account"),
    "disable": N_("Disable account"), "sign_in": N_("Sign in"), "sign_out": N_("Sign out"),
    "change_password": N_("Change password"), "reset_password": N_("Reset password"),
    "unlock": N_("Unlock account"),
    # the study, the audit trail, randomization lists
    "load": N_("Load study definition"), "checkpoint": N_("Seal the audit trail"),
    # the trail's own events, written by migrations (tracker/audit/upgrades.py, 0011)
    "migrate": N_("Records changed by a software upgrade"), "reseal": N_("Reseal the audit trail"),
    "baseline_records": N_("Record every row as it stood"),
    "generate": N_("Generate list"), "import": N_("Import list"), "export": N_("Export list"),
    # lots and containers
    "record_qc_result": N_("Record QC result"), "release": N_("Release"), "reject": N_("Reject"),
    "recall": N_("Recall"), "issue": N_("Issue to the pharmacy"), "thaw": N_("Thaw"), "use": N_("Use"),
    "discard": N_("Discard"), "discard_in_pharmacy": N_("Discard in the pharmacy"),
    # bags
    "prepare": N_("Prepare"), "print_label": N_("Print label"), "reprint_label": N_("Reprint label"),
    "dispatch": N_("Dispatch"), "receive": N_("Receive"), "return": N_("Return"), "destroy": N_("Destroy"),
    "void": N_("Void"), "expire": N_("Expire"), "quarantine_release": N_("Release from quarantine"),
    "quarantine_destroy": N_("Destroy from quarantine"),
    # participants and the ward
    "enrol": N_("Enrol"), "unblind": N_("Emergency unblinding"), "scan": N_("Bedside scan"),
    "start": N_("Start infusion"), "infuse": N_("Infuse"), "complete": N_("Complete infusion"),
    # adverse events at infusion
    "record_adverse_event": N_("Record adverse event"), "report_to_sponsor": N_("Report to the sponsor"),
    "assess_adverse_event": N_("Assess adverse event"),
    # release with results pending
    "close_follow_up": N_("Late result passed: follow-up closed"),
    "late_result_failed": N_("Late result failed"),
    # storage units and temperatures
    "move": N_("Move to a storage place"), "record_readings": N_("Record temperature readings"),
    "silence_alarm": N_("Alarm: readings stopped"),
    "quarantine": N_("Quarantine after a temperature excursion"),
    "attach_logger": N_("Attach the logger file"),
}  # fmt: skip

# Each field an event's before and after records, by the name people know it by.
FIELD_LABELS = {
    # the trail's own events (migrations)
    "revision": N_("Software revision"), "rows_by_table": N_("Rows by table"),
    "archived_events": N_("Archived events"), "sealed_events": N_("Sealed events"),
    "unblinded_events": N_("Unblinded events"), "archived_head": N_("Last archived event"),
    # deviations and CAPA
    "deviation_id": N_("Deviation"), "title": N_("Title"), "description": N_("Description"),
    "category": N_("Category"), "state": N_("State"), "source": N_("Raised"),
    "source_action": N_("Raised by the action"), "source_lot_number": N_("Source lot"),
    "source_container_id": N_("Source container"), "raised_by": N_("Raised by"),
    "raised_by_role": N_("Raiser's role"), "raised_at": N_("Raised at"), "due_at": N_("Due"),
    "investigation": N_("Investigation"), "root_cause": N_("Root cause"),
    "corrective_action": N_("Corrective action"), "preventive_action": N_("Preventive action"),
    "capa_owner": N_("CAPA owner"), "capa_due_at": N_("CAPA due"),
    "arm": N_("Arm"), "arm_revealed": N_("Arm revealed"), "at": N_("Time"),
    "available_ml": N_("Volume available (mL)"),
    "bag_id": N_("Bag"), "box": N_("Box"), "cell_bank": N_("Cell bank"),
    "cells_per_container": N_("Cells per container"), "channel": N_("Signed in through"),
    "codes": N_("Codes"), "codes_per_stratum": N_("Codes per stratum"), "commitment": N_("Commitment"),
    "completed_at": N_("Completed at"), "completed_by": N_("Completed by"),
    "container_count": N_("Containers"), "container_id": N_("Container"),
    "container_status": N_("Container status"), "correction": N_("Correction"),
    "cosignature": N_("Co-signature"), "donor_code": N_("Donor code"),
    "dose_viable_cells": N_("Viable cells in the dose"), "drawn_volume_ml": N_("Volume drawn (mL)"),
    "enabled": N_("Enabled"), "expires_at": N_("Expires at"), "final_volume_ml": N_("Final volume (mL)"),
    "format": N_("Format"), "freezer": N_("Freezer"), "full_name": N_("Full name"),
    "infusion_id": N_("Infusion"), "kit_id": N_("Kit"), "location": N_("Location"), "lot_number": N_("Lot"),
    "manufactured_at": N_("Manufactured at"), "material": N_("Material"), "meaning": N_("Meaning"),
    "name": N_("Name"), "note": N_("Note"), "noticed_at": N_("Noticed at"),
    "participant_id": N_("Participant"), "pass": N_("Passed"), "passage": N_("Passage"),
    "password_change_required": N_("Password change required"), "position": N_("Position"),
    "prepared_at": N_("Prepared at"), "print_count": N_("Times printed"),
    "public_key_fingerprint": N_("Public key fingerprint"), "quarantine_reasons": N_("Quarantine reasons"),
    "quarantined": N_("Quarantined"), "rack": N_("Rack"), "randomization_code": N_("Randomization code"),
    "randomized_at": N_("Randomized at"), "reasons": N_("Reasons"), "recorded_by": N_("Recorded by"),
    "replaced_one_time_password": N_("Replaced a one-time password"), "result": N_("Result"),
    "result_id": N_("Result number"), "role": N_("Role"), "seal_intact": N_("Seal intact"),
    "sha256": N_("Definition fingerprint"), "signature": N_("Signature"), "signed_at": N_("Signed at"),
    "signed_by": N_("Signed by"), "signed_by_name": N_("Signer's name"), "specification": N_("Specification"),
    "started_at": N_("Started at"), "started_by": N_("Started by"), "status": N_("Status"),
    "stratum": N_("Stratum"), "supersedes": N_("Replaces result"), "temperature_c": N_("Temperature (°C)"),
    "test": N_("Test"), "thaw_id": N_("Thaw"), "thawed_at": N_("Thawed at"), "unit": N_("Unit"),
    "unlocked": N_("Unlocked"), "usable": N_("Usable"), "use_by": N_("Use by"), "user": N_("User"),
    "username": N_("User name"), "value": N_("Value"), "version": N_("Version"),
    "viability_percent": N_("Viability (percent)"), "viable_cells_per_ml": N_("Viable cells per mL"),
    "voided_at": N_("Voided at"), "volume_infused_ml": N_("Volume infused (mL)"),
    "volume_ml": N_("Volume (mL)"), "volume_ml_per_container": N_("Volume per container (mL)"),
    "witness": N_("Witness"), "witnessed_at": N_("Witnessed at"),
    # adverse events at infusion
    "ae_id": N_("Adverse event"), "onset_at": N_("Onset"), "grade": N_("Severity grade (CTCAE)"),
    "serious": N_("Serious"), "seriousness_criteria": N_("Seriousness criteria"),
    "actions_taken": N_("Action taken"), "treatment": N_("Treatment given"),
    "recorded_by_role": N_("Recorder's role"), "recorded_at": N_("Recorded at"),
    "report_due_at": N_("Report to the sponsor by"), "sponsor_reported_at": N_("Reported to the sponsor at"),
    "sponsor_reported_by": N_("Reported to the sponsor by"), "sponsor_report_note": N_("Sponsor report note"),
    "reported_late": N_("Reported late"), "causality": N_("Causality"), "outcome": N_("Outcome"),
    "resolved_at": N_("Ended at"), "assessed_by": N_("Assessed by"), "assessed_at": N_("Assessed at"),
    # release with results pending
    "follow_up": N_("Follow-up"), "results_pending": N_("Results pending"),
    "containers": N_("Containers"), "kind": N_("Kind"), "triggered_by": N_("Triggered by"),
    # sites
    "site": N_("Site"), "sites": N_("Sites"),
    # storage units and temperatures
    "unit_id": N_("Storage unit"), "count": N_("Readings"), "first_at": N_("First reading at"),
    "last_at": N_("Last reading at"), "min_c": N_("Lowest (°C)"), "max_c": N_("Highest (°C)"),
    "how": N_("Recorded through"), "batch": N_("Batch"), "last_reading_at": N_("Last reading at"),
    "minutes_silent": N_("Minutes without a reading"),
    "readings_sha256": N_("Readings fingerprint (SHA-256)"),
    "excursion_start": N_("Excursion from"), "excursion_end": N_("Excursion until"),
    # shipments
    "container_ids": N_("Containers"), "from_site": N_("From"), "destination_site": N_("Destination site"),
    "shipper_unit_id": N_("Dry shipper"), "courier": N_("Courier"), "tracking_number": N_("Tracking number"),
    "missing": N_("Missing"), "extra": N_("Not on the manifest"), "damaged": N_("Damaged"),
    "minutes_out_of_range": N_("Minutes out of range"),
}  # fmt: skip
# Fields whose keys are data, not fields (a stratum's letter).
KEYED_BY_DATA = frozenset({"codes_per_stratum"})

STATUS_FIELDS = frozenset({"status", "container_status"})
# Codes some fields record, in words; a code not listed reads as recorded.
VALUE_WORDS = {
    "channel": {"api": N_("the API"), "pages": N_("the web pages")},
    "format": {"pdf": "PDF", "zpl": "ZPL"},
    "result": {
        "match": N_("match"), "already_infused": N_("already infused"), "voided": N_("voided"),
        "destroyed": N_("destroyed"), "expired": N_("expired"), "quarantined": N_("quarantined"),
        "not_received": N_("not received"), "wrong_participant": N_("wrong participant"),
        "unreadable_payload": N_("unreadable label"), "bad_signature": N_("label not signed by this site"),
        "unknown_bag": N_("unknown bag"), "unknown_participant": N_("unknown participant"),
    },
    "quarantine_reasons": {"the seal is broken": N_("the seal is broken")},
    # deviations (their pages say the same: tracker/deviations/views.py)
    "state": {
        "open": N_("Open"), "under_investigation": N_("Under investigation"),
        "capa_defined": N_("CAPA defined"), "closed": N_("Closed"),
    },
    "category": {
        "bedside_stop": N_("Bedside stop"), "temperature_excursion": N_("Temperature excursion"),
        "expired_bag": N_("Expired bag"), "destroyed_bag": N_("Destroyed bag"),
        "voided_bag": N_("Voided bag"), "recall": N_("Recall"), "late_result": N_("Late result"),
        "other": N_("Other"),
    },
    "source": {"manual": N_("by hand"), "automatic": N_("automatically")},
    # adverse events (their pages say the same: tracker/adverse_events/views.py)
    "seriousness_criteria": {
        "death": N_("Death"), "life_threatening": N_("Life-threatening"),
        "hospitalisation": N_("Hospitalisation or its prolongation"),
        "disability": N_("Persistent or significant disability"),
        "congenital_anomaly": N_("Congenital anomaly"),
        "other_medically_important": N_("Other medically important event"),
    },
    "actions_taken": {
        "none": N_("None"), "infusion_slowed": N_("Infusion slowed"),
        "infusion_interrupted": N_("Infusion interrupted"), "infusion_stopped": N_("Infusion stopped"),
        "treated": N_("Treated"),
    },
    "causality": {
        "not_related": N_("Not related"), "unlikely": N_("Unlikely related"),
        "possible": N_("Possibly related"),
        "probable": N_("Probably related"), "definite": N_("Definitely related"),
    },
    "outcome": {
        "recovered": N_("Recovered/resolved"), "recovering": N_("Recovering/resolving"),
        "not_recovered": N_("Not recovered/not resolved"),
        "recovered_with_sequelae": N_("Recovered/resolved with sequelae"), "fatal": N_("Fatal"),
        "unknown": N_("Unknown"),
    },
    # release with results pending, and the safety code-break it may bring
    "follow_up": {"pending": N_("Pending"), "passed": N_("Passed"), "failed": N_("Failed")},
    "kind": {
        "emergency": N_("Emergency code-break"), "safety": N_("Safety code-break"),
        "ln2_freezer": N_("LN2 freezer"), "vapour_phase_dewar": N_("Vapour-phase dewar"),
        "dry_shipper": N_("Dry shipper"), "fridge_2_8": N_("2–8 °C fridge"),
    },
    "how": {"api": N_("a device (the API)"), "logger_file": N_("a logger file")},
    "triggered_by": {"system": N_("the system")},
}  # fmt: skip
# Sentences the rules write into a record (custody and thaw rules), with their numbers.
_SENTENCES = (
    (re.compile(r"^(?P<value>[\d.-]+) °C is outside (?P<low>[\d.-]+)–(?P<high>[\d.-]+) °C$"),
     N_("%(value)s °C is outside %(low)s–%(high)s °C")),
    (re.compile(r"^viability (?P<value>[\d.]+) % is below (?P<minimum>[\d.]+) %$"),
     N_("viability %(value)s %% is below %(minimum)s %%")),
)  # fmt: skip


# What raised an automatic deviation (`source_action`): the step and, for a STOP at the bedside, why the bag
# was refused, as the nurse was told it (tracker/ward/rules.py); never anything about the bag's contents.
SOURCE_STEPS = {"scan": N_("Bedside scan"), "start": N_("Start of the infusion")}
REFUSAL_WORDS = {
    "already_infused": N_("already infused"), "voided": N_("voided by the pharmacy"),
    "destroyed": N_("recorded as destroyed"), "expired": N_("past its use-by time"),
    "quarantined": N_("in quarantine"), "not_received": N_("not received on the ward"),
    "wrong_participant": N_("not for this participant"), "unreadable_payload": N_("not a bag label"),
    "bad_signature": N_("label not signed by this site"), "unknown_bag": N_("no such bag here"),
    "unknown_participant": N_("no such participant"),
}  # fmt: skip
SOURCE_WORDS = {
    "shipment_excursion": N_("Temperature excursion in a shipment"),
    "storage_excursion": N_("Temperature excursion in storage"),
    "late_result": N_("Late QC result"),
}


def source_action_word(text: str) -> str:
    """`scan:wrong_participant` as "Bedside scan refused: not for this participant", `receive:quarantine` as
    "Receive: quarantine", and the single actions (recall, void, ...) by their words."""
    step, _, outcome = text.partition(":")
    if outcome == "quarantine":
        return gettext("%(action)s: quarantine", action=action_word(step))
    if step in SOURCE_STEPS and outcome:
        why = REFUSAL_WORDS.get(outcome)
        return gettext(
            "%(step)s refused: %(why)s",
            step=gettext(SOURCE_STEPS[step]),
            why=gettext(why) if why else changes.field_name(outcome),
        )
    if text in SOURCE_WORDS:
        return gettext(SOURCE_WORDS[text])
    return action_word(text)


def field_label(name: str) -> str:
    """A recorded field's name in the reader's language; an unknown one readably (spaces for underscores)."""
    label = FIELD_LABELS.get(name)
    return gettext(label) if label else changes.field_name(name)


def action_word(action: str) -> str:
    words = ACTION_WORDS.get(action)
    return gettext(words) if words else changes.field_name(action)


def value_word(field: str, text: str) -> str:
    """A recorded string in the reader's language: statuses, roles and codes by their words, sentences the
    rules wrote translated, anything else through the study's translations (a test, a material, a unit)."""
    if field in STATUS_FIELDS:
        return status_word(text)
    if field == "role" or field.endswith("_role"):  # a role, or whose role (recorded_by_role, raised_by_role)
        return gettext(text)  # the role names are in the catalogue (tracker/web/i18n.py)
    if field == "source_action":
        return source_action_word(text)
    if field == "meaning":
        return gettext(text)  # a default meaning is marked where it is written; a typed one stays as it is
    words = VALUE_WORDS.get(field, {}).get(text)
    if words:
        return gettext(words)
    for pattern, sentence in _SENTENCES:
        found = pattern.match(text)
        if found:
            return gettext(sentence, **found.groupdict())
    return str(study_text(text))


@dataclass(frozen=True)
class AuditWords:
    """How an event's changes read; `yes` and `no` as the place that shows them writes them."""

    yes: str
    no: str
    label: Callable[[str], str] = field_label
    word: Callable[[str, str], str] = value_word

    def readable(self, value: Any, zone: Any, field: str) -> str:
        return changes.readable(
            value, zone, self.yes, self.no, field=field, label=self.label, word=self.word,
            keyed_by_data=KEYED_BY_DATA,
        )  # fmt: skip
