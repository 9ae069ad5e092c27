"""Pictures in a terminal: a QR code and a 1-bit label preview drawn with half blocks.

A terminal cell is about twice as tall as it is wide, so each cell shows two pixels, one
above the other: `▀` (top dark), `▄` (bottom dark), `█` (both), a space (neither). The
widget that shows the lines is styled dark-on-light (`.picture` in `app.tcss` of the
screen's style sheet), so a phone can scan the QR code whatever the terminal's theme.
QR codes come from segno (already a dependency for labels); previews are PNGs from core
(`core.printing.preview`), scaled down with Pillow to the room the widget has.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import segno
from PIL import Image

CELLS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
#: A grey at or below this counts as ink once a label is scaled down: any ink in a cell
#: shows, so thin lines and small text survive the reduction.
INK_LEVEL = 230


def matrix_lines(dark: Sequence[Sequence[bool]]) -> list[str]:
    """Rows of pixels (True: dark) as half-block lines, two pixel rows per line."""
    lines: list[str] = []
    for top in range(0, len(dark), 2):
        upper = dark[top]
        lower = dark[top + 1] if top + 1 < len(dark) else [False] * len(upper)
        lines.append("".join(CELLS[(bool(a), bool(b))] for a, b in zip(upper, lower, strict=True)))
    return lines


def qr_lines(text: str, *, border: int = 2) -> list[str]:
    """`text` as a QR code (error correction L, the smallest symbol) in half blocks."""
    code = segno.make_qr(text, error="l", boost_error=False)
    return matrix_lines([[bool(m) for m in row] for row in code.matrix_iter(border=border)])


def image_lines(png: bytes, max_columns: int, max_rows: int) -> list[str]:
    """A PNG (ink dark on white paper) scaled to fit `max_columns` × `max_rows` cells,
    keeping its proportions, in half blocks."""
    image = Image.open(io.BytesIO(png)).convert("L")
    width, height = image.size
    scale = min(max_columns / width, (2 * max_rows) / height, 1.0)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = image.resize(size, Image.Resampling.BOX)
    pixels = small.tobytes()  # mode L: one byte per pixel, row by row
    rows = [pixels[y * size[0] : (y + 1) * size[0]] for y in range(size[1])]
    return matrix_lines([[value <= INK_LEVEL for value in row] for row in rows])
