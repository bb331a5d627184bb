"""The certificate of analysis as an HTTP answer, sent alike by the lot pages and the API, and its words in
the reader's language (the page language, tracker/web/i18n.py)."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext

from tracker.lots.certificate import CertificateWords
from tracker.web.filters import status_word, study_text


def pdf_response(lot_number: str, pdf: bytes) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="coa-{lot_number}.pdf"'
    return response


def _study(text: str) -> str:
    return str(study_text(text))


def certificate_words() -> CertificateWords:
    """The certificate's words translated here, at the edge: the renderer takes them as plain data."""
    return CertificateWords(
        title=gettext("Certificate of analysis"),
        facts={
            "lot_number": gettext("Lot number"), "material": gettext("Material"), "status": gettext("Status"),
            "manufactured_at": gettext("Manufactured"), "expires_at": gettext("Expires"),
            "containers": gettext("Containers"), "cells_per_container": gettext("Cells per container"),
            "donor_code": gettext("Cord donor code"), "cell_bank": gettext("Cell bank"),
            "passage": gettext("Passage"), "results_pending": gettext("Results pending"),
        },
        results_heading=gettext("Results against specification"),
        columns=(gettext("Test"), gettext("Specification"), gettext("Result"), gettext("Verdict"),
                 gettext("Entered by")),
        # Upper case as the certificate has always shouted them; Chinese has no case.
        verdicts={"pass": gettext("Pass").upper(), "fail": gettext("Fail").upper(),
                  "missing": gettext("Missing").upper()},
        superseded_heading=gettext("Superseded results (kept on record)"),
        superseded=gettext(
            "#%(result)s %(test)s = %(value)s (entered by %(name)s %(at)s), superseded by #%(by)s",
            result="{result}", test="{test}", value="{value}", name="{name}", at="{at}", by="{by}",
        ),
        correction=gettext(" - correction: %(reason)s", reason="{reason}"),
        disposition_heading=gettext("Disposition"),
        not_released=gettext("NOT RELEASED: this lot carries no QA disposition signature."),
        actions={"release": gettext("Release"), "reject": gettext("Reject"), "recall": gettext("Recall")},
        signed_by=gettext(
            "%(action)s electronically signed by %(name)s (%(user)s, %(role)s)",
            action="{action}", name="{name}", user="{user}", role="{role}",
        ),
        signed_at=gettext("Signed at: %(at)s", at="{at}"),
        meaning=gettext("Meaning: %(meaning)s", meaning="{meaning}"),
        reason=gettext("Reason: %(reason)s", reason="{reason}"),
        not_for_use=gettext("This lot is %(status)s: not for clinical use.", status="{status}"),
        generated=gettext(
            "Generated %(at)s by %(by)s at %(site)s from the tracker's records.",
            at="{at}", by="{by}", site="{site}",
        ),
        study=_study,
        status=lambda status: status_word(status).upper(),
        role=gettext,  # role names are in the catalogue (tracker/web/i18n.py)
    )  # fmt: skip
