"""The text of the PDFs the app sends, as pypdf reads it (the tests' assertions depend on its layout)."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader


def pdf_pages(pdf: bytes | Any) -> list[str]:
    """Each page's text; `pdf` is the file's bytes, or a test client's response, which must be a 200 PDF."""
    if not isinstance(pdf, bytes | bytearray):
        said = (pdf.status_code, pdf.mimetype)
        assert said == (200, "application/pdf"), f"{said}, not a 200 PDF: {pdf.get_data()[:500]!r}"
        pdf = pdf.data
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def pdf_text(pdf: bytes | Any, sep: str = "\n") -> str:
    """The pages' text, joined by `sep`."""
    return sep.join(pdf_pages(pdf))


def flat(text: str) -> str:
    """`text` with every run of white space one space: a table cell's text wraps at its column's edge."""
    return " ".join(text.split())
