"""Drawing operations onto a 1-bit Pillow image at printer resolution, and packing it.

Thermal printers print dots, so labels are drawn directly in dots, without anti-aliasing:
what the PNG preview shows is bit for bit what TSPL/ZPL/ESC-POS send. Speed comes from
three caches: glyph masks (each character is rasterised once per size), decoded logos,
and — in `plugins.renderers.cache` — the whole static layer of a template.
Bits are packed with numpy: Pillow's own mode-"1" `tobytes` is ~10× slower per label.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from plugins.renderers.fonts import METRICS, PT_MM, pil_font
from plugins.renderers.ops import (
    BarcodeOp,
    ImageOp,
    LineOp,
    Op,
    QrOp,
    RectOp,
    TextOp,
    draw_ops,
)

WHITE, BLACK = 255, 0
_DARK_RUN = re.compile(rb"\x01+")  # dark modules in a QR matrix row
BOLD_STROKE_EM = 0.025  # fake bold: outline width in em (the font has no bold face)

#: (char, px, bold) → (mask core, left, top, width, height), or None for blank glyphs.
Glyph = tuple[Any, int, int, int, int] | None
_glyphs: dict[tuple[str, int, bool], Glyph] = {}


def glyph(char: str, px: int, bold: bool) -> Glyph:
    """The ink mask of `char` at `px` pixels per em (as Pillow's core image, ready for the
    fast paste below), its offset from the pen (left, top from the ascender line) and size;
    None for blank characters."""
    key = (char, px, bold)
    if key in _glyphs:
        return _glyphs[key]
    font = pil_font(px)
    stroke = round(px * BOLD_STROKE_EM) if bold else 0
    double = bold and stroke == 0  # small text: double-strike, a 1-dot outline is too heavy
    left, top, right, bottom = font.getbbox(char, stroke_width=stroke)
    entry: Glyph = None
    if right > left and bottom > top and not char.isspace():
        mask = Image.new("1", (right - left + double, bottom - top), 0)
        draw = ImageDraw.Draw(mask)
        for shift in (0, 1) if double else (0,):
            draw.text(
                (shift - left, -top),
                char,
                font=font,
                fill=255,
                stroke_width=stroke,
                stroke_fill=255,
            )
        entry = (mask.im, left, top, mask.width, mask.height)
    if len(_glyphs) > 50_000:  # a bound, not a policy: real labels use a few thousand
        _glyphs.clear()
    _glyphs[key] = entry
    return entry


@lru_cache(maxsize=64)
def _logo(data: bytes, width: int, height: int, fit: str) -> Image.Image:
    """A logo decoded, flattened on white, scaled into width × height dots and dithered,
    returned as an ink mask (255 where the printer should burn a dot)."""
    with Image.open(io.BytesIO(data)) as source:
        source.load()
        rgba = source.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat.alpha_composite(rgba)
    gray = flat.convert("L")
    if fit == "contain":
        gray = ImageOps.contain(gray, (width, height), Image.Resampling.LANCZOS)
    else:
        gray = gray.resize((width, height), Image.Resampling.LANCZOS)
    return ImageOps.invert(gray).convert("1")  # Floyd–Steinberg dithering: fine for logos


class RasterCanvas:
    """Draws operations (in mm) onto `image` (mode "1", white = 255) at `per_mm` dots per
    millimetre, shifted by the printer's offset in dots."""

    def __init__(self, image: Image.Image, per_mm: float, dx: int = 0, dy: int = 0) -> None:
        self.image, self.per_mm, self.dx, self.dy = image, per_mm, dx, dy
        self.px_per_pt = per_mm * PT_MM

    def x(self, mm: float) -> int:
        return round(mm * self.per_mm) + self.dx

    def y(self, mm: float) -> int:
        return round(mm * self.per_mm) + self.dy

    def draw(self, ops: Sequence[Op]) -> None:
        draw_ops(self, ops)

    def text(self, op: TextOp) -> None:
        """Glyph by glyph from the cache. Pillow's core `paste` is called directly: with
        ~400 glyphs a label, `Image.paste`'s Python checks cost more than the copying."""
        px = max(1, round(op.size_pt * self.px_per_pt))
        paste, advance = self.image.im.paste, METRICS.advance
        per_mm, colour = self.per_mm, WHITE if op.white else BLACK
        cache = _glyphs
        for n, line in enumerate(op.lines):
            pen = (op.x + op.line_x[n]) * per_mm + self.dx
            top = round((op.y + n * op.line_height + op.ascender_offset) * per_mm) + self.dy
            for char in line:
                entry = cache.get((char, px, op.bold), False)
                if entry is False:
                    entry = glyph(char, px, op.bold)
                if entry is not None:
                    mask, left, gtop, w, h = entry
                    x, y = round(pen) + left, top + gtop
                    paste(colour, (x, y, x + w, y + h), mask)
                pen += advance(char) * px

    def barcode(self, op: BarcodeOp) -> None:
        x0, y0 = self.x(op.x), self.y(op.y)
        y1 = y0 + round(op.height * self.per_mm)
        m = op.module_dots
        fill = self.image.im.paste
        for start, width in op.bars:
            fill(BLACK, (x0 + start * m, y0, x0 + (start + width) * m, y1))

    def qr(self, op: QrOp) -> None:
        x0, y0, m = self.x(op.x), self.y(op.y), op.module_dots
        fill = self.image.im.paste
        for r, row in enumerate(op.matrix):
            for run in _DARK_RUN.finditer(row):
                start, end = run.span()
                fill(BLACK, (x0 + start * m, y0 + r * m, x0 + end * m, y0 + (r + 1) * m))

    def _thick(self, mm: float) -> int:
        return max(1, round(mm * self.per_mm))

    def line(self, op: LineOp) -> None:
        t = self._thick(op.thickness)
        x1, y1, x2, y2 = self.x(op.x1), self.y(op.y1), self.x(op.x2), self.y(op.y2)
        if y1 == y2:
            top = y1 - t // 2
            self.image.paste(BLACK, (min(x1, x2), top, max(x1, x2) + 1, top + t))
        elif x1 == x2:
            left = x1 - t // 2
            self.image.paste(BLACK, (left, min(y1, y2), left + t, max(y1, y2) + 1))
        else:
            ImageDraw.Draw(self.image).line((x1, y1, x2, y2), fill=BLACK, width=t)

    def rect(self, op: RectOp) -> None:
        x0, y0 = self.x(op.x), self.y(op.y)
        x1, y1 = self.x(op.x + op.width), self.y(op.y + op.height)
        fill = self.image.paste
        if op.fill:
            fill(BLACK, (x0, y0, x1, y1))
            return
        t = self._thick(op.thickness)
        fill(BLACK, (x0, y0, x1, y0 + t))
        fill(BLACK, (x0, y1 - t, x1, y1))
        fill(BLACK, (x0, y0, x0 + t, y1))
        fill(BLACK, (x1 - t, y0, x1, y1))

    def logo(self, op: ImageOp) -> None:
        w = max(1, round(op.width * self.per_mm))
        h = max(1, round(op.height * self.per_mm))
        mask = _logo(op.data, w, h, op.fit)
        x = self.x(op.x) + (w - mask.width) // 2
        y = self.y(op.y) + (h - mask.height) // 2
        self.image.paste(BLACK, (x, y), mask)


def blank(width: int, height: int) -> Image.Image:
    return Image.new("1", (width, height), WHITE)


def pack(image: Image.Image, *, ink_is_one: bool) -> tuple[bytes, int]:
    """Rows packed MSB-first (leftmost dot in the high bit), each padded to whole bytes,
    and the bytes per row. `ink_is_one`: 1 = burn a dot (ZPL, ESC/POS); otherwise 1 =
    white (TSPL). Padding bits are always white."""
    ink = ~np.asarray(image, dtype=bool)
    packed = np.packbits(ink, axis=1)
    if not ink_is_one:
        packed = ~packed
    return packed.tobytes(), packed.shape[1]
