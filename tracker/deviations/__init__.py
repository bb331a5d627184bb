"""Deviations and CAPA: quality events raised by hand or by other features, investigated and closed by QA."""
