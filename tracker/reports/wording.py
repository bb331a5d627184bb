"""The words of a printed report in the reader's language (the page language, tracker/web/i18n.py)."""

from __future__ import annotations

from flask_babel import gettext

from tracker.db import UnitOfWork
from tracker.errors import Conflict
from tracker.pdf import Words
from tracker.studies.services import current_study
from tracker.web.filters import study_text


def report_words() -> Words:
    return Words(
        provenance=gettext(
            "Site %(site)s · generated %(at)s UTC by %(by)s · audit chain head seq %(seq)s, %(hash)s…",
            site="{site}", at="{at}", by="{by}", seq="{seq}", hash="{hash}",
        ),
        page=gettext("page %(page)s of %(pages)s", page="{page}", pages="{pages}"),
        none=gettext("None."),
        signature_heading=gettext("Review and signature"),
        signature_statement=gettext("I have reviewed this report and found it complete and accurate."),
        signature_fields=(gettext("Name"), gettext("Role"), gettext("Signature"), gettext("Date")),
    )  # fmt: skip


def yes_no(value: bool) -> str:
    return gettext("Yes") if value else gettext("No")


def study_name(uow: UnitOfWork) -> str:
    """The study a report is of, as its header names it (its title in the reader's language); a dash before
    any study is loaded."""
    try:
        with uow:
            study = current_study(uow.session)
    except Conflict:
        return "—"
    return f"{study.protocol} · {study_text(study.title)}"


def role_word(role: str) -> str:
    """A role's name in the reader's language (the names are in the catalogue: tracker/web/i18n.py)."""
    return gettext(role)
