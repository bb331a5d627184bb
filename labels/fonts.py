"""The one font family every label is printed in, embedded in the PDF.

DejaVu Sans (Debian's fonts-dejavu-core) when the machine has it, else the Bitstream Vera that reportlab
ships. Vera lacks the superscript digits, so with it "10⁸" is printed as "10^8"; any other character the font
cannot draw is refused rather than printed as an empty box.

Chinese lines are printed in WenQuanYi Micro Hei (Debian's fonts-wqy-microhei: TrueType outlines, which a PDF
can embed; the Noto CJK fonts are PostScript-outlined and reportlab cannot embed them).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
_VERA_DIR = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_PLAIN_DIGITS = str.maketrans(_SUPERSCRIPTS, "0123456789")
_SUPERSCRIPT_RUN = re.compile(f"[{_SUPERSCRIPTS}]+|[^{_SUPERSCRIPTS}]+")


class UnprintableText(ValueError):
    """The label font has no glyph for a character of the text."""


@dataclass(frozen=True)
class LabelFont:
    regular: str
    bold: str

    def printable(self, text: str) -> str:
        """`text` as this font prints it: a run of superscript digits the font lacks is spelt `^digits`."""
        out = []
        for match in _SUPERSCRIPT_RUN.finditer(text):
            run = match.group(0)
            if run[0] in _SUPERSCRIPTS and not all(self.has(char) for char in run):
                out.append("^" + run.translate(_PLAIN_DIGITS))
                continue
            for char in run:
                if not self.has(char):
                    raise UnprintableText(f"the label font cannot print {char!r} (U+{ord(char):04X})")
            out.append(run)
        return "".join(out)

    def has(self, char: str) -> bool:
        """Whether both weights have a glyph for `char`."""
        return all(
            ord(char) in pdfmetrics.getFont(name).face.charToGlyph for name in (self.regular, self.bold)
        )

    def width(self, text: str, bold: bool, size: float) -> float:
        return pdfmetrics.stringWidth(text, self.bold if bold else self.regular, size)


def _register(name: str, path: str, **options: int) -> str:
    if name not in pdfmetrics.getRegisteredFontNames():
        # asciiReadable: all of printable ASCII goes into every embedded subset, so the bag's IDs and times
        # (ASCII only) never change which glyphs a label embeds.
        pdfmetrics.registerFont(TTFont(name, path, asciiReadable=1, **options))
    return name


@cache
def chinese_font(path: str | None = None) -> LabelFont | None:
    """The font of a label's Chinese lines (one weight), or None when the machine has none: the label is
    then printed in English only, the same for every bag."""
    path = CJK_FONT if path is None else path
    if not os.path.isfile(path):
        return None
    name = _register("LabelCJK", path, subfontIndex=0)
    return LabelFont(name, name)


@cache
def label_font(directory: str | None = None) -> LabelFont:
    """The label font: DejaVu Sans from `directory` (default: Debian's place) if it is there, else Vera."""
    directory = DEJAVU_DIR if directory is None else directory
    regular = os.path.join(directory, "DejaVuSans.ttf")
    bold = os.path.join(directory, "DejaVuSans-Bold.ttf")
    if os.path.isfile(regular) and os.path.isfile(bold):
        return LabelFont(_register("LabelSans", regular), _register("LabelSans-Bold", bold))
    return LabelFont(
        _register("LabelVera", os.path.join(_VERA_DIR, "Vera.ttf")),
        _register("LabelVera-Bold", os.path.join(_VERA_DIR, "VeraBd.ttf")),
    )
