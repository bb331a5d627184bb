"""Helpers for eligibility tests: a complete, eligible UMSIS checklist and a frozen enrolment clock."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

# An eligible UMSIS participant, written out by hand from the trial record (not read from the definition).
ELIGIBLE: dict[str, Any] = {
    "age": 64,
    "anterior_circulation_infarct": "yes",
    "nihss": 12,
    "nihss_limb_motor": 3,
    "haemoglobin": 132,
    "platelets": 210,
    "leukocytes": 7.2,
    "informed_consent": True,
    "decompressive_craniectomy": "no",
    "endovascular_treatment": "no",
    "intravenous_thrombolysis": "no",
    "disturbance_of_consciousness": False,
    "pregnancy_or_no_contraception": "no",
    "intracranial_haemorrhage": "no",
    "posterior_circulation_infarct": "no",
    "tumour": "no",
    "epilepsy": "no",
    "severe_deficit_mrs_5": "no",
    "prior_functional_impairment": "no",
    "coagulation_disorder": "no",
    "liver_or_kidney_dysfunction": "no",
    "mental_illness": "no",
    "systolic_bp": 150,
    "survival_under_one_year": "no",
    "other_trial_within_3_months": "no",
    "unsuitable_per_investigator": "no",
}

NOW = dt.datetime(2024, 3, 10, 12, 0, tzinfo=dt.UTC)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def checklist(**changes: Any) -> dict[str, Any]:
    return {**ELIGIBLE, **changes}


def freeze_enrolment_clock(monkeypatch: Any, now: dt.datetime = NOW) -> dt.datetime:
    """Enrolment reads the time once per decision; freezing it makes 'exactly 24 h' exact."""
    monkeypatch.setattr("tracker.participants.services.utcnow", lambda: now)
    return now


def onset(before: dt.timedelta, now: dt.datetime = NOW) -> str:
    """The onset `before` randomization, written with a +08:00 offset as a Shenyang site would."""
    return (now - before).astimezone(SHANGHAI).isoformat()


def page_form(participant_id: str, **fields: Any) -> dict[str, str]:
    """The enrolment page's fields for an eligible participant: elig_<key> inputs, text values."""
    answers = {**ELIGIBLE, **fields.pop("eligibility", {})}
    form = {"participant_id": participant_id, "stratum": "", "onset_at": "", **fields}
    for key, value in answers.items():
        if value is not None:
            form[f"elig_{key}"] = ("yes" if value else "no") if isinstance(value, bool) else str(value)
    return form


def confirm_fields(page: str) -> dict[str, str]:
    """The hidden fields of the review page's confirm form, as the browser would post them back."""
    form = re.search(
        r'<form method="post">(?:(?!</form>).)*name="step" value="confirm".*?</form>', page, re.S
    )
    assert form, "the page has no confirm form"
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(0))
    return {name: html.unescape(value) for name, value in fields}
