"""The committed .mo catalogues match their .po sources, and nothing is left untranslated."""

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "tracker" / "translations"
LANGS = sorted(p.name for p in TRANSLATIONS.iterdir() if p.is_dir())


def test_chinese_is_shipped():
    assert "zh" in LANGS


@pytest.mark.parametrize("lang", LANGS)
def test_the_compiled_catalogue_matches_its_source(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as f:
        source = read_po(f)
    compiled = BytesIO()
    write_mo(compiled, source)
    compiled.seek(0)
    with (folder / "messages.mo").open("rb") as f:
        shipped = read_mo(f)
    fresh = read_mo(compiled)
    assert _messages(shipped) == _messages(fresh)


def _messages(catalog) -> dict:
    # A plural message's id and strings are lists in a catalogue read from a .mo file.
    def frozen(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {frozen(m.id): frozen(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_translated(lang):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    missing = [m.id for m in catalog if m.id and not m.string]
    assert missing == []
