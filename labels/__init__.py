"""Blinded bag labels: LabelData in, print-ready PDF or ZPL out. Imports nothing from the tracker.

`qr_matrix(payload)` is cached; calling it when a bag is made keeps QR encoding out of printing time.
"""

from labels.data import LabelData, LabelDataError
from labels.fonts import UnprintableText
from labels.pdf import render_label_pdf, render_sheet_pdf
from labels.qr import qr_matrix
from labels.zpl import PrinterError, render_label_zpl, send_zpl

__all__ = [
    "LabelData",
    "LabelDataError",
    "PrinterError",
    "UnprintableText",
    "qr_matrix",
    "render_label_pdf",
    "render_label_zpl",
    "render_sheet_pdf",
    "send_zpl",
]
