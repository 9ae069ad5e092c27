"""The one CJK font every renderer draws with, shipped in `core/templates/fonts` (the
plugin API: report charts in core draw with the same file).

Shipping the font (rather than asking the system) is what makes a label the same bytes on
every machine: a bare Debian has no CJK font, and reportlab's built-in `STSong-Light` is
not embedded, so its look depends on the viewer. Text is measured once, here, with the
font's own advance widths, and both the raster and the PDF renderer place glyphs with
these numbers, so a line breaks in the same place in every output language.
"""

from __future__ import annotations

from functools import cache

from PIL import ImageFont

from core.templates.fonts import FONT_PATH, LICENSE_PATH

__all__ = ["FONT_PATH", "LICENSE_PATH"]
#: Name the font is registered under in PDF documents.
PDF_FONT_NAME = "WenQuanYiMicroHei"

_REFERENCE_PX = 1000  # advances are read at this size, in em/1000 units
#: Ascender and descender in em (hhea), and where CJK ink starts below the ascender line.
ASCENT = 0.937
DESCENT = 0.236
INK_TOP = 0.10


@cache
def pil_font(px: int) -> ImageFont.FreeTypeFont:
    """The font at `px` pixels per em, with Pillow's basic layout (no libraqm), so the
    result does not depend on which optional libraries a machine has."""
    return ImageFont.truetype(str(FONT_PATH), px, layout_engine=ImageFont.Layout.BASIC)


class Metrics:
    """Advance widths in em, per character, cached (a few thousand distinct characters
    cover every label ever printed)."""

    def __init__(self) -> None:
        self._font = pil_font(_REFERENCE_PX)
        self._advance: dict[str, float] = {}

    def advance(self, char: str) -> float:
        """Width of `char` in em."""
        width = self._advance.get(char)
        if width is None:
            width = self._font.getlength(char) / _REFERENCE_PX
            self._advance[char] = width
        return width

    def width_em(self, text: str) -> float:
        advance = self._advance
        total = 0.0
        for char in text:
            width = advance.get(char)
            total += width if width is not None else self.advance(char)
        return total

    def width_mm(self, text: str, size_pt: float) -> float:
        return self.width_em(text) * size_pt * PT_MM


PT_MM = 25.4 / 72  # one point in millimetres
METRICS = Metrics()
