"""The PDF label: 60 x 40 mm, every Annex VI field as text, a QR that a scanner reads back to the payload."""

import pypdfium2
import pytest
import zxingcpp

from labels import LabelDataError, UnprintableText, render_label_pdf, render_sheet_pdf
from labels.fonts import chinese_font, label_font
from labels.pdf import HEIGHT, WIDTH, layout
from tests.unit.labelkit import STUDY, pdf_objects, sample_label

MM = 72 / 25.4


def _pages(pdf: bytes) -> list[pypdfium2.PdfPage]:
    return list(pypdfium2.PdfDocument(pdf))


def _text(page: pypdfium2.PdfPage) -> str:
    return " ".join(page.get_textpage().get_text_range().split())


def _scan(page: pypdfium2.PdfPage, dpi: int) -> list[zxingcpp.Barcode]:
    image = page.render(scale=dpi / 72, grayscale=True).to_pil()
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def test_a_label_is_one_page_of_60_by_40_mm():
    pages = _pages(render_label_pdf(sample_label()))
    assert len(pages) == 1
    width, height = pages[0].get_size()
    assert width == pytest.approx(60 * MM, abs=0.01)
    assert height == pytest.approx(40 * MM, abs=0.01)


@pytest.mark.parametrize("dpi", [203, 300, 600])
def test_the_printed_qr_reads_back_to_exactly_the_payload(dpi):
    label = sample_label()
    (page,) = _pages(render_label_pdf(label))
    found = _scan(page, dpi)
    assert [code.text for code in found] == [label.qr_payload]
    assert found[0].ec_level == "M"


def test_the_qr_is_vector_drawing_not_a_picture():
    assert b"/Subtype /Image" not in render_label_pdf(sample_label())


def test_the_longest_payload_the_label_allows_still_fits_the_one_qr_version():
    payload = "CT1-$%*+./:0123456789 ABCDEFGHIJKLMNOPQ"[:38]
    (page,) = _pages(render_label_pdf(sample_label(qr_payload=payload)))
    assert [code.text for code in _scan(page, 300)] == [payload]


def test_the_qr_keeps_its_quiet_zone_of_four_modules():
    label = sample_label()
    (page,) = _pages(render_label_pdf(label))
    dpi = 600
    image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    (code,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    corners = [code.position.top_left, code.position.top_right, code.position.bottom_left]
    left = min(p.x for p in corners)
    right = max(p.x for p in corners)
    top = min(p.y for p in corners)
    bottom = max(code.position.bottom_right.y, code.position.bottom_left.y)
    module = (right - left + 1) / 25
    quiet = round(4 * module)
    pixels = image.load()
    ring = [
        (x, y)
        for x in range(int(left - quiet), int(right + quiet) + 1)
        for y in range(int(top - quiet), int(bottom + quiet) + 1)
        if not (left - 2 <= x <= right + 2 and top - 2 <= y <= bottom + 2)
    ]
    assert all(0 <= x < image.width and 0 <= y < image.height for x, y in ring)
    assert min(pixels[x, y] for x, y in ring) > 200  # white: no text or edge inside the quiet zone


def test_the_label_text_carries_every_annex_vi_field():
    label = sample_label()
    (page,) = _pages(render_label_pdf(label))
    text = _text(page)
    for expected in [
        "UC-MSC 1×10⁸ cells or placebo",
        STUDY.label["route"],
        "100 mL",
        "NCT04811651",
        label.participant_id,
        label.randomization_code,
        label.bag_id,
        "Prepared 2026-03-14 09:26 +08:00",
        "Use by 2026-03-14 11:26 +08:00",
        STUDY.label["storage"],
        "For clinical trial use only",
        STUDY.label["emergency_contact"],
    ]:
        assert expected in text


def test_identical_label_data_gives_identical_bytes():
    label = sample_label()
    assert render_label_pdf(label) == render_label_pdf(label)


def test_every_font_is_embedded_and_of_the_one_label_family():
    pdf = render_label_pdf(sample_label())
    fonts = [head for head, _ in pdf_objects(pdf).values() if b"/BaseFont" in head]
    assert fonts
    descriptors = [head for head, _ in pdf_objects(pdf).values() if b"/Type /FontDescriptor" in head]
    assert all(b"/FontFile2" in d for d in descriptors)
    family = b"DejaVuSans" if label_font().regular == "LabelSans" else b"Vera"
    # The Chinese lines are in the one Chinese font, embedded like the other.
    assert all(family in head or b"WenQuanYi" in head for head in fonts)
    assert b"Helvetica" not in pdf


@pytest.mark.skipif(chinese_font() is None, reason="no Chinese font: apt-get install fonts-wqy-microhei")
def test_a_bilingual_label_prints_the_studys_chinese_in_an_embedded_chinese_font():
    label = sample_label()
    pdf = render_label_pdf(label)
    assert any(b"WenQuanYi" in head for head, _ in pdf_objects(pdf).values() if b"/BaseFont" in head)
    chinese = [line.text for line in layout(label) if line.chinese]
    assert chinese == [
        f"{label.product_text_zh}  {label.route_zh}", label.storage_zh, label.statement_zh,
        label.emergency_contact_zh,
    ]  # fmt: skip
    fields = ("product_text", "route", "storage", "statement", "emergency_contact")
    english_only = layout(sample_label(**{f"{field}_zh": "" for field in fields}))
    assert not any(line.chinese for line in english_only)


def test_without_dejavu_the_bundled_vera_spells_the_missing_superscript():
    vera = label_font("/nonexistent")
    assert vera.regular == "LabelVera"
    assert vera.printable("UC-MSC 1×10⁸ cells or placebo") == "UC-MSC 1×10^8 cells or placebo"
    assert vera.printable("10¹⁸ and 10¹²") == "10^18 and 10¹²"  # Vera has ¹ and ² but not ⁸


def test_dejavu_prints_the_superscript_as_it_is():
    dejavu = label_font("/usr/share/fonts/truetype/dejavu")
    if dejavu.regular == "LabelSans":
        assert dejavu.printable("1×10⁸") == "1×10⁸"
    else:  # this machine has no DejaVu: the fallback must still be what the labels use
        assert label_font() == dejavu


def test_a_character_the_font_cannot_draw_is_refused_not_printed_as_a_box():
    with pytest.raises(UnprintableText):
        render_label_pdf(sample_label(emergency_contact="Emergency: Dr 陈 +86 13352452086"))


def test_text_that_does_not_fit_its_place_is_refused():
    with pytest.raises(LabelDataError, match="does not fit|lines"):
        render_label_pdf(sample_label(storage=" ".join(["Mmmmmmmm"] * 12)))
    with pytest.raises(LabelDataError):
        render_label_pdf(sample_label(product_text="UC-MSC 1×10⁸ cells or placebo, extended"))


def test_the_widest_identifiers_allowed_still_fit():
    label = sample_label(participant_id="W" * 14, randomization_code="W" * 14, bag_id="W" * 14)
    assert _text(_pages(render_label_pdf(label))[0]).count("W" * 14) == 3


def test_a_sheet_holds_21_labels_per_a4_page_and_breaks_pages_as_needed():
    labels = [sample_label() for _ in range(45)]
    pages = _pages(render_sheet_pdf(labels))
    assert len(pages) == 3
    width, height = pages[0].get_size()
    assert (round(width), round(height)) == (595, 842)
    for number, page in enumerate(pages):
        on_page = labels[number * 21 : (number + 1) * 21]
        text = _text(page)
        assert [text.count(label.bag_id) for label in on_page] == [1] * len(on_page)
        assert text.count("For clinical trial use only") == len(on_page)
        decoded = sorted(code.text for code in _scan(page, 300))
        assert decoded == sorted(label.qr_payload for label in on_page)


def test_a_sheet_label_is_the_single_label_moved_into_its_cell():
    label = sample_label()
    single = _text(_pages(render_label_pdf(label))[0])
    sheet = _text(_pages(render_sheet_pdf([label]))[0])
    assert sheet == single
    assert (WIDTH, HEIGHT) == pytest.approx((60 * MM, 40 * MM))


def test_an_empty_sheet_is_refused():
    with pytest.raises(LabelDataError):
        render_sheet_pdf([])
