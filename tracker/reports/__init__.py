"""Reports for QA and the sponsor: printable PDFs that state when, by whom and from which audit head."""
