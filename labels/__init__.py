"""Blinded bag labels: LabelData in, print-ready PDF or ZPL out. Imports nothing from the tracker."""

from labels.data import LabelData, LabelDataError
from labels.fonts import UnprintableText
from labels.pdf import render_label_pdf, render_sheet_pdf
from labels.zpl import PrinterError, render_label_zpl, send_zpl

__all__ = [
    "LabelData",
    "LabelDataError",
    "PrinterError",
    "UnprintableText",
    "render_label_pdf",
    "render_label_zpl",
    "render_sheet_pdf",
    "send_zpl",
]
