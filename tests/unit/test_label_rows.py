"""One list of label rows (LabelData.rows and .notes) that both renderers print, in the same order."""

from __future__ import annotations

from labels import render_label_zpl
from labels.pdf import layout
from tests.unit.labelkit import sample_label


def test_the_pdf_and_the_zpl_print_the_same_rows_in_the_same_order():
    data = sample_label()
    texts = [line.text for line in layout(data)]
    zpl = render_label_zpl(data)
    for row in data.rows:
        assert row.key in texts
        assert row.value in texts
    pdf_order = [texts.index(row.key) for row in data.rows]
    zpl_order = [zpl.index(f"^FD{row.key}^FS") for row in data.rows]
    assert pdf_order == sorted(pdf_order)
    assert zpl_order == sorted(zpl_order)


def test_the_rows_say_the_bag_and_its_times_and_what_the_bedside_check_compares_stands_out():
    data = sample_label()
    rows = {row.key: row for row in data.rows}
    assert rows["Bag ID"].value == data.bag_id
    assert rows["Use by"].value == data.use_by_text
    assert [row.key for row in data.rows if row.emphasised] == ["Rand. code", "Bag ID", "Use by"]


def test_the_notes_are_storage_statement_and_emergency_contact_in_both_renderers():
    data = sample_label()
    assert [note.text for note in data.notes] == [data.storage, data.statement, data.emergency_contact]
    zpl = render_label_zpl(data)
    positions = [zpl.index(note.text.split(" ")[0]) for note in data.notes]
    assert positions == sorted(positions)
