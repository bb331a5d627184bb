"""A report's Chinese text is set in a font embedded in the PDF (WenQuanYi Micro Hei), so it prints the same
on any computer; on a machine without that font it falls back to the reader-supplied STSong-Light."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.pdf_support import pdf_fonts, pdf_text
from tracker import pdf
from tracker.pdf import Provenance, Section, render_report


def _report() -> bytes:
    provenance = Provenance(dt.datetime(2026, 12, 3, tzinfo=dt.UTC), "qa1", (7, "ab" * 32), "site-01")
    return render_report("审计追踪", provenance, [Section("变更", ["状态"], [["已放行 → 已召回"]])])


@pytest.mark.skipif(pdf.embedded_cjk_font() is None, reason="fonts-wqy-microhei is not installed")
def test_chinese_text_is_set_in_an_embedded_truetype_font():
    content = _report()
    embedded = [font for name, font in pdf_fonts(content).items() if "WenQuanYiMicroHei" in name]
    assert embedded, pdf_fonts(content).keys()
    assert all("/FontFile2" in font["/FontDescriptor"] for font in embedded)  # the glyphs are in the file
    assert not any("STSong" in name for name in pdf_fonts(content))
    text = pdf_text(content)
    for words in ("审计追踪", "变更", "已放行 → 已召回"):
        assert words in text


def test_without_the_truetype_font_chinese_falls_back_to_stsong(monkeypatch):
    monkeypatch.setattr(pdf, "embedded_cjk_font", lambda: None)
    pdf._font_for.cache_clear()
    try:
        content = _report()
    finally:
        pdf._font_for.cache_clear()
    assert "STSong-Light" in " ".join(pdf_fonts(content))
    assert not any("WenQuanYi" in name for name in pdf_fonts(content))
    assert "审计追踪" in pdf_text(content)
