"""Template filters: times in the site's zone, machine statuses and the study's own words in the reader's
language."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g
from flask_babel import get_locale, gettext

from tracker.errors import DomainError
from tracker.translation import N_

# Every status, state and place a page shows, as people say it (lots, containers, bags, reports). Arms are
# the study's words: the `study` filter names them.
STATUS_WORDS = {
    "quarantine": N_("Quarantine"), "released": N_("Released"), "rejected": N_("Rejected"),
    "recalled": N_("Recalled"), "stored": N_("In the lab's store"), "in_store": N_("In the lab's store"),
    "issued": N_("Issued to the pharmacy"), "in_pharmacy": N_("In the pharmacy"), "thawed": N_("Thawed"),
    "used": N_("Used"), "discarded": N_("Discarded"), "discarded_in_lab": N_("Discarded in the lab"),
    "discarded_in_pharmacy": N_("Discarded in the pharmacy"), "prepared": N_("Prepared"),
    "dispatched": N_("Dispatched"), "received": N_("Received"), "returned": N_("Returned"),
    "infused": N_("Infused"), "destroyed": N_("Destroyed"), "expired": N_("Expired"), "voided": N_("Voided"),
    "quarantined": N_("Quarantined"), "in stock": N_("In stock"), "in_stock": N_("In stock"),
    "in transit": N_("In transit"), "in_transit": N_("In transit"),
    "pass": N_("Pass"), "fail": N_("Fail"), "missing": N_("Missing"),
    "usable": N_("Usable"), "unusable": N_("Not usable"), "open": N_("Open"), "closed": N_("Closed"),
    "bedside": N_("Bedside"),
    "released_results_pending": N_("Released, results pending"),
    "released_result_failed": N_("Released, late result failed"), "pending": N_("Pending"),
    "passed": N_("Passed"), "failed": N_("Failed"), "planned": N_("Planned"),
}  # fmt: skip
# The kinds of record the audit trail and the reports name (entity_type).
ENTITY_WORDS = {
    "lot": N_("Lot"), "container": N_("Container"), "participant": N_("Participant"), "thaw": N_("Thaw"),
    "bag": N_("Bag"), "infusion": N_("Infusion"), "user": N_("User"), "scan": N_("Scan"),
    "study": N_("Study"),
    "randomization_list": N_("Randomization list"), "audit_trail": N_("Audit trail"), "kit": N_("Kit"),
    "deviation": N_("Deviation"), "shipment": N_("Shipment"), "site": N_("Site"),
}  # fmt: skip


def site_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SITE_TIMEZONE"])


def localtime(value: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """A time as people read it: the site's zone, to the minute (never an ISO string with microseconds)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)  # stored in UTC
    return value.astimezone(site_zone()).strftime(fmt)


def status_word(value: str | None) -> str:
    """A machine status (`prepared`, `in_stock`, `quarantine` ...) in the reader's language."""
    if not value:
        return "—"
    words = STATUS_WORDS.get(value)
    return gettext(words) if words else value  # a place people typed, say


def entity_word(value: str | None) -> str:
    """A kind of record (`lot`, `randomization_list` ...) in the reader's language."""
    words = ENTITY_WORDS.get(value or "")
    return gettext(words) if words else (value or "")


def _study_translations() -> dict[str, str]:
    if "study_words" not in g:
        try:
            translations = current_app.extensions["study_translations"]()
        except DomainError:  # no study loaded yet
            translations = {}
        g.study_words = translations.get(str(get_locale().language), {})
    return g.study_words


def study_text(value: object) -> object:
    """Text that comes from the study definition (a QC test, a material, a stratum, a criterion, the title),
    in the reader's language when the definition translates it."""
    if not isinstance(value, str):
        return value
    return _study_translations().get(value, value)


def requirement_text(text: str | None) -> str:
    """A criterion's requirement ("≥ 18 and ≤ 80 years", "no") in the reader's language."""
    if not text:
        return ""
    if text in ("yes", "no"):
        return gettext("yes") if text == "yes" else gettext("no")
    unit = ""
    measured = re.match(r"^(.*\d)\s+(\D.*)$", text)
    if measured:
        text, unit = measured.group(1), f" {study_text(measured.group(2))}"
    return gettext(" and ").join(text.split(" and ")) + unit


def interval_text(text: str | None) -> str:
    """Onset to randomization (participants.rules.describe_interval) in the reader's language."""
    parts = re.fullmatch(r"(-?)(\d+) h (\d+) min \((-?[\d.]+) days\)", text or "")
    if not parts:
        return text or ""
    sign, hours, minutes, days = parts.groups()
    return gettext(
        "%(hours)s h %(minutes)s min (%(days)s days)", hours=sign + hours, minutes=minutes, days=days
    )


def register_filters(app: Flask, study_translations: Callable[[], dict[str, dict[str, str]]]) -> None:
    """`study_translations` reads the loaded study's translations (handed in by create_app: the web edge
    imports no feature)."""
    app.extensions["study_translations"] = study_translations
    app.add_template_filter(localtime, "localtime")
    app.add_template_filter(status_word, "status")
    app.add_template_filter(entity_word, "entity")
    app.add_template_filter(study_text, "study")
    app.add_template_filter(requirement_text, "requirement")
    app.add_template_filter(interval_text, "interval")
