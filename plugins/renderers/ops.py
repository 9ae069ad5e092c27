"""Drawing operations: a laid-out page as plain shapes, the common ground of all renderers.

`plugins.renderers.plan` turns a template and data into these; each backend (the raster
canvas, the PDF canvas, the resident-font text commands) draws them. Coordinates are in
millimetres from the media's top-left corner, before the printer's offset is applied.
Barcode and QR geometry is already in whole dots for the target dpi, so every language
prints the same bars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TextOp:
    """Lines of text in a box. Line `i`'s ascender line is at
    `y + i * line_height + ascender_offset`; each line starts at `x + line_x[i]`."""

    x: float
    y: float
    width: float
    lines: tuple[str, ...]
    line_x: tuple[float, ...]
    size_pt: float
    bold: bool
    align: str
    line_height: float
    ascender_offset: float
    white: bool = False  # drawn white, on a black block drawn before it


@dataclass(frozen=True, slots=True)
class BarcodeOp:
    """Code 128 bars: `bars` are (start, width) in modules from `x`; each module is
    `module_dots` dots wide at `dpi`; bars are `height` mm tall."""

    x: float
    y: float
    height: float
    bars: tuple[tuple[int, int], ...]
    total_modules: int
    module_dots: int
    dpi: int
    data: str


@dataclass(frozen=True, slots=True)
class QrOp:
    """A QR matrix (rows of 0/1 bytes) at `module_dots` dots per module."""

    x: float
    y: float
    matrix: tuple[bytes, ...]
    module_dots: int
    dpi: int


@dataclass(frozen=True, slots=True)
class LineOp:
    x1: float
    y1: float
    x2: float
    y2: float
    thickness: float


@dataclass(frozen=True, slots=True)
class RectOp:
    x: float
    y: float
    width: float
    height: float
    thickness: float
    fill: bool


@dataclass(frozen=True, slots=True)
class ImageOp:
    """An encoded PNG/JPEG drawn into its box (`fit`: contain or stretch)."""

    x: float
    y: float
    width: float
    height: float
    data: bytes
    fit: str


Op = TextOp | BarcodeOp | QrOp | LineOp | RectOp | ImageOp

#: Which canvas method draws each op: every output (PDF, raster) implements these names.
_METHODS: dict[type, str] = {
    TextOp: "text",
    BarcodeOp: "barcode",
    LineOp: "line",
    RectOp: "rect",
    QrOp: "qr",
    ImageOp: "logo",
}


def draw_ops(canvas: object, ops: Sequence[Op]) -> None:
    """Send each op to the canvas method of its kind, in order (later ops paint over)."""
    for op in ops:
        getattr(canvas, _METHODS[type(op)])(op)


def dots_per_mm(dpi: int) -> float:
    """Printer dots per millimetre. "203 dpi" heads are 8 dots/mm exactly (a 76 mm label is
    608 dots wide), so that value is used as is; others are converted from inches."""
    return 8.0 if dpi == 203 else dpi / 25.4


def media_dots(width_mm: float, height_mm: float, dpi: int) -> tuple[int, int]:
    """The media size in whole dots."""
    per_mm = dots_per_mm(dpi)
    return round(width_mm * per_mm), round(height_mm * per_mm)
