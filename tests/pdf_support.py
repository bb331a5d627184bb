"""The text and fonts of the PDFs the app sends, as pypdf reads them (the tests' assertions depend on its
layout)."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader


def _reader(pdf: bytes | Any) -> PdfReader:
    """`pdf` is the file's bytes, or a test client's response, which must be a 200 PDF."""
    if not isinstance(pdf, bytes | bytearray):
        said = (pdf.status_code, pdf.mimetype)
        assert said == (200, "application/pdf"), f"{said}, not a 200 PDF: {pdf.get_data()[:500]!r}"
        pdf = pdf.data
    return PdfReader(io.BytesIO(pdf))


def pdf_pages(pdf: bytes | Any) -> list[str]:
    """Each page's text."""
    return [page.extract_text() for page in _reader(pdf).pages]


def pdf_fonts(pdf: bytes | Any) -> dict[str, Any]:
    """{base font name: font dictionary} of every font the pages use."""
    return {
        str(ref.get_object()["/BaseFont"]): ref.get_object()
        for page in _reader(pdf).pages
        for ref in page["/Resources"]["/Font"].values()
    }


def embedded_fonts(pdf: bytes | Any) -> set[str]:
    """The fonts whose glyphs travel in the file (a TrueType font program), by name."""
    return {
        name
        for name, font in pdf_fonts(pdf).items()
        if "/FontDescriptor" in font and "/FontFile2" in font["/FontDescriptor"]
    }


def pdf_text(pdf: bytes | Any, sep: str = "\n") -> str:
    """The pages' text, joined by `sep`."""
    return sep.join(pdf_pages(pdf))


def flat(text: str) -> str:
    """`text` with every run of white space one space: a table cell's text wraps at its column's edge."""
    return " ".join(text.split())
