"""A refused request in the reader's words and language, said in one place for every page and API answer:
field names become the form's labels, marshmallow's messages plain sentences, and a service's refusal its
translated sentence (marked where it is raised, or named here by its code)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask_babel import get_locale, gettext

from tracker.translation import N_
from tracker.web.filters import interval_text, localtime, requirement_text, study_text

# The labels people know the fields by (the forms' own labels where a form has the field).
FIELD_LABELS = {
    "_schema": N_("This form"),
    "lot_number": N_("Lot number"),
    "material": N_("Material"),
    "manufactured_at": N_("Manufactured at (site time)"),
    "expires_at": N_("Expires at (site time)"),
    "container_count": N_("Containers"),
    "volume_ml_per_container": N_("Volume per container (mL)"),
    "cells_per_container": N_("Cells per container"),
    "test": N_("Test"),
    "value": N_("Value"),
    "password": N_("Password"),
    "meaning": N_("Meaning of this signature"),
    "reason": N_("Reason"),
    "container_id": N_("Container"),
    "container_ids": N_("Containers"),
    "location": N_("Location"),
    "note": N_("Note"),
    "temperature_c": N_("Temperature on arrival (°C)"),
    "seal_intact": N_("Seal intact?"),
    "participant_id": N_("Participant ID"),
    "stratum": N_("Stratum"),
    "onset_at": N_("Stroke onset"),
    "randomization_code": N_("Randomization code"),
    "thaw_id": N_("Thaw"),
    "drawn_volume_ml": N_("Volume drawn (mL)"),
    "placebo_lot": N_("Vehicle lot (placebo codes only)"),
    "final_volume_ml": N_("Final volume (mL)"),
    "prepared_at": N_("Prepared at"),
    "thawed_at": N_("Thawed at"),
    "viable_cells_per_ml": N_("Viable cells per mL after thaw"),
    "viability_percent": N_("Viability (%%)"),
    "volume_ml": N_("Volume after thaw (mL)"),
    "bag_id": N_("Bag"),
    "qr_payload": N_("Bag label"),
    "started_at": N_("Started at"),
    "completed_at": N_("Completed at"),
    "volume_infused_ml": N_("Volume infused (mL)"),
    "username": N_("User name"),
    "full_name": N_("Full name"),
    "role": N_("Role"),
    "new_password": N_("New password"),
    "current_password": N_("Current password"),
    "since": N_("From"),
    "until": N_("Until"),
    "entity_type": N_("Entity"),
    "entity_id": N_("ID"),
    "action": N_("Action"),
    "seed": N_("Seed"),
    "per_stratum": N_("Codes per stratum"),
    "block_sizes": N_("Block sizes (comma-separated)"),
    "corrects": N_("Corrects an earlier result"),
    # adverse events (an event's onset is `onset_at` in the API: its pages name it `ae_onset_at`, since a
    # participant's onset is the stroke's)
    "ae_onset_at": N_("Onset"),
    "infusion_id": N_("Infusion"),
    "description": N_("What happened"),
    "grade": N_("Severity grade (CTCAE)"),
    "serious": N_("Serious?"),
    "seriousness_criteria": N_("Seriousness criteria"),
    "actions_taken": N_("Action taken"),
    "treatment": N_("Treatment given"),
    "causality": N_("Causality"),
    "outcome": N_("Outcome"),
    "resolved_at": N_("Ended at"),
    "reported_at": N_("Reported at"),
}

# The events a time may not come before (tracker.timing.check_happened's `what_before`).
EVENTS_BEFORE = (
    N_("the event it follows"),
    N_("manufacture"),
    N_("randomization"),
    N_("the bag's receipt on the ward"),
    N_("the start of the infusion"),
    N_("the start"),
    N_("the onset of the event"),
)
_DATE_TIME = N_("Enter a date and time, e.g. 2026-12-03 14:30.")
_REQUIRED = N_("This field is required.")
_NOT_FOR_THIS_CODE = N_("Leave this empty: this randomization code does not use it.")


def _no_params(match: re.Match[str]) -> dict[str, str]:
    return {}


def _first(match: re.Match[str]) -> dict[str, str]:
    return {"n": match[1]}


# Marshmallow's messages and the rules' own as sentences: (pattern, sentence, its parameters from the match).
_SENTENCES: list[tuple[re.Pattern[str], str, Callable[[re.Match[str]], dict[str, Any]]]] = [
    (re.compile(p), sentence, params)
    for p, sentence, params in (
        (r"Not a valid number\.", N_("Enter a number."), _no_params),
        (r"Not a valid integer\.", N_("Enter a whole number."), _no_params),
        (r"Not a valid (aware |naive )?datetime\.", _DATE_TIME, _no_params),
        (r"Not a valid date\.", N_("Enter a date, e.g. 2026-12-03."), _no_params),
        (
            r"give a date such as .*",
            N_("Enter a date, e.g. 2026-12-03, or a date and time, e.g. 2026-12-03 14:30."),
            _no_params,
        ),
        (r"(Missing data for required field|Field may not be null)\.", _REQUIRED, _no_params),
        (r"Unknown field\.", N_("This field does not belong here."), _no_params),
        (r"Not a valid string\.", N_("Enter text."), _no_params),
        (r"Not a valid boolean\.", N_("Choose yes or no."), _no_params),
        (r"Not a valid list\.", N_("Choose one or more."), _no_params),
        (r"Must be one of: .*", N_("Choose one of the offered values."), _no_params),
        (
            r"String does not match expected pattern\.",
            N_("This value does not have the expected form."),
            _no_params,
        ),
        (r"Longer than maximum length (\d+)\.", N_("Enter at most %(n)s characters."), _first),
        (
            r"Shorter than minimum length (\d+)\.",
            N_("Enter at least %(n)s characters."),
            lambda m: {"n": m[1]},
        ),
        (
            r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.",
            N_("Enter a value from %(low)s to %(high)s."),
            lambda m: {"low": m[1], "high": m[2]},
        ),
        (r"Must be greater than or equal to (\S+)\.", N_("Enter %(low)s or more."), lambda m: {"low": m[1]}),
        (r"Must be greater than (\S+)\.", N_("Enter more than %(low)s."), lambda m: {"low": m[1]}),
        (r"Must be less than or equal to (\S+)\.", N_("Enter %(high)s or less."), lambda m: {"high": m[1]}),
        # An eligibility answer that fails its criterion (participants.rules.CriterionResult.refusal), and
        # one not given (participants.services._missing_details).
        (
            r"(.+): (.+) given; eligible only when (.+)",
            N_("%(criterion)s: %(answer)s given; eligible only when %(requirement)s"),
            lambda m: {
                "criterion": study_text(m[1]),
                "answer": requirement_text(m[2]),
                "requirement": requirement_text(m[3]),
            },
        ),
        (
            r"not answered: (.+) \(eligible when (.+)\)",
            N_("not answered: %(criterion)s (eligible when %(requirement)s)"),
            lambda m: {"criterion": study_text(m[1]), "requirement": requirement_text(m[2])},
        ),
        (r"(may|must) not lie in the future", N_("This time may not lie in the future."), _no_params),
        (
            r"may not be before (.+) \((\S+)\)",
            N_("This may not be before %(event)s (%(time)s)."),
            lambda m: {"event": gettext(m[1]), "time": localtime(m[2])},
        ),
        (
            r"must not lie before the previous custody event",
            N_("This may not be before the previous handoff."),
            _no_params,
        ),
        (
            r"must be omitted: this code takes (cells|vehicle)",
            _NOT_FOR_THIS_CODE,
            _no_params,
        ),
        (
            r"must be omitted for this code",
            _NOT_FOR_THIS_CODE,
            _no_params,
        ),
        (r"required for this code", N_("This randomization code needs it."), _no_params),
        (r"a reason is required", N_("Give a reason."), _no_params),
    )
]

# Refusals a page says its own way, in every language: shorter, as the details beside the fields say the rest
# (an ineligible participant's reasons show once, beside each criterion).
PAGE_SENTENCES = {
    "not_eligible": N_("Not eligible, not randomized: the criteria that exclude the participant are marked."),
    "eligibility_incomplete": N_(
        "The eligibility checklist is incomplete: the criteria not answered are marked."
    ),
}
# For a reader of another language, the sentence of a refusal whose own message is not (yet) marked for
# translation where it is raised: what its code means, without the names the English sentence gives.
CODE_SENTENCES = {
    "wrong_role": N_("Your role may not do this"),
    "wrong_password": N_("The password is wrong: nothing was signed"),
    "invalid_credentials": N_("The user name or password is wrong"),
    "csrf_failed": N_("The form expired or did not come from this site: reload and try again"),
    "internal_error": N_("Something went wrong on the server; nothing was saved"),
    "database_unavailable": N_("The database is not reachable just now; nothing was saved."),
    "container_not_found": N_("No container has this ID."),
    "unknown_participant": N_("No participant has this ID."),
    "participant_exists": N_("A participant with this ID is already enrolled."),
    "lot_exists": N_("A lot with this number already exists."),
    "thaw_not_found": N_("No thaw has this ID."),
    "action_out_of_order": N_("This step cannot be done now: it is out of order."),
    "not_in_pharmacy": N_("The container is not in the pharmacy's stock."),
    "not_in_store": N_("The container is not in the lab's store."),
    "container_quarantined": N_(
        "The container is in quarantine after a temperature excursion until QA decides."
    ),
    "not_quarantined": N_("The container is not in quarantine."),
    "issue_as_kit": N_("Containers are issued to the pharmacy in whole kits."),
    "incomplete_kit": N_("An issue must be whole kits: one container of each material."),
    "lot_not_released": N_("The lot is not released: its containers may not be used."),
    "lot_not_in_quarantine": N_("Only a lot in quarantine can take this."),
    "release_blocked": N_("The lot cannot be released: see what blocks release."),
    "already_signed": N_("This has already been signed."),
    "unknown_test": N_("The study defines no such QC test for this material."),
    "invalid_qc_value": N_("This value cannot be read for this test."),
    "thaw_unusable": N_("The thaw is not usable."),
    "thaw_window_closed": N_("The thaw's window has closed: prepare from a new thaw."),
    "dose_out_of_tolerance": N_("The dose is outside the study's tolerance."),
    "dose_impossible": N_("No dose within tolerance can be drawn from this thaw."),
    "label_not_printed": N_("Print the bag's label before it is dispatched."),
    "temperature_required": N_(
        "Measure the bag's temperature and say whether the seal is intact: the study sets a transport range."
    ),
    "stratum_exhausted": N_(
        "The stratum has no unused randomization code; the statistician has been notified."
    ),
    "stratum_disagrees_with_onset": N_("The stratum chosen disagrees with the stroke onset."),
    "onset_outside_strata": N_("The time from onset to randomization lies outside every stratum."),
    "unknown_stratum": N_("The study has no such stratum."),
    "infusion_completed": N_("The infusion is already completed."),
    "cosignature_required": N_("A second nurse must sign this bedside check."),
    "cosigner_not_nurse": N_("The second signer must be a nurse."),
    "cosigner_wrong_password": N_("The second nurse's password is wrong."),
    "printer_unavailable": N_("The label printer did not answer."),
    "printer_not_configured": N_("No label printer is set up for this site."),
    "time_in_future": N_("A time may not lie in the future."),
    "time_out_of_order": N_("A time may not be before the event it follows."),
    "no_study_loaded": N_("No study definition is loaded."),
    "box_full": N_("The box is full."),
    "locked_out": N_("Too many wrong passwords: wait, or ask an admin to unlock the account."),
    "weak_password": N_("The password is too weak."),
}


def field_label(name: str) -> str:
    """A field as its form names it; an eligibility criterion by its text."""
    label = FIELD_LABELS.get(name)
    if label:
        return gettext(label) % {}  # "%%" in a label is a percent sign
    line = re.fullmatch(r"line (\d+)", name)  # a line of an imported file
    if line:
        return gettext("line %(number)s", number=line[1])
    return str(study_text(name.replace("elig_", "", 1)))


def field_sentence(message: str) -> str:
    """One problem of one field, as a sentence in the reader's language."""
    for pattern, sentence, params in _SENTENCES:
        match = pattern.fullmatch(message)
        if match:
            return gettext(sentence, **params(match))
    return gettext(message)  # a rule's own message, translated where it was marked


def field_problems(details: dict | None, skip: tuple[str, ...] = ()) -> list[tuple[str, list[str]]]:
    """[(label, [sentence, ...])] for a refusal's details in their order, but for the fields in `skip`."""
    rows = []
    for field, problems in (details or {}).items():
        if field in skip:
            continue
        if isinstance(problems, dict):  # a nested field (a list's item): its sentences, flattened
            problems = [
                p for nested in problems.values() for p in (nested if isinstance(nested, list) else [nested])
            ]
        problems = problems if isinstance(problems, list) else [problems]
        rows.append((field_label(str(field)), [field_sentence(str(p)) for p in problems]))
    return rows


def _english() -> bool:
    return str(get_locale() or "en").startswith("en")


def refusal_sentence(error: Any, *, page: bool = True) -> str:
    """What a refusal says: a page's sentence for its code, else the sentence where it was raised, translated;
    the API (page=False) keeps the service's English unless the reader asked for another language."""
    if error is None:
        return ""
    if isinstance(error, str):
        return gettext(error)
    code, message = getattr(error, "code", None), getattr(error, "message", str(error))
    template, params = getattr(error, "template", message), getattr(error, "params", None) or {}
    if page and code in PAGE_SENTENCES:
        return gettext(PAGE_SENTENCES[code])
    if _english():
        return message
    translated = gettext(template)
    if translated == template:  # not marked where it was raised
        return gettext(CODE_SENTENCES[code]) if code in CODE_SENTENCES else message
    return translated % {k: _param(v) for k, v in params.items()} if params else translated


def _param(value: Any) -> Any:
    """A refusal's parameter in the reader's language: a word marked where it is written (a container's
    status, a material), one of the study's, or a time from onset; IDs and numbers stay as they are."""
    return interval_text(str(study_text(gettext(value)))) if isinstance(value, str) and value else value


def register_problems(app: Flask) -> None:
    app.add_template_filter(refusal_sentence, "refusal")
    app.add_template_filter(field_problems, "field_problems")
    app.add_template_filter(field_label, "field_label")
    app.add_template_filter(field_sentence, "field_sentence")
