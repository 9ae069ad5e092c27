"""ZPL II (Zebra, and the many printers that emulate it).

A label is `^XA`, `^PW`/`^LL`/`^LH0,0`, the raster as `^GFA` graphic fields in bands (a
field holds at most 99,999 bytes, so a 100×180 mm label needs two), then `^PQ<copies>`
and `^XZ`. Rows are ASCII hex (1 = burn a dot) with ZPL's row compression: `,` ends a row
whose remaining bytes are zero and `:` repeats the previous row, which roughly halves a
typical label. Options: `resident_font` (e.g. `E:SIMSUN.TTF`) sends text as UTF-8 fields
(`^CI28`, `^A@`, `^FB` for alignment) instead; `native_barcode` sends Code 128 as `^BC`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

from core.contracts.renderer import RenderRequest
from core.hookspecs import hookimpl
from plugins.renderers.base import RasterPage, RasterRenderer, Setting
from plugins.renderers.ops import BarcodeOp, TextOp
from plugins.renderers.raster import pack

MAX_FIELD_BYTES = 99_999  # ^GF byte-count limit (printing.md §1.2)
_ALIGN = {"left": "L", "center": "C", "right": "R"}


def compress_rows(hex_data: str, row_chars: int) -> str:
    """ZPL ASCII-hex rows with `,` (rest of row zero) and `:` (same as previous row)."""
    out = []
    previous = None
    for start in range(0, len(hex_data), row_chars):
        row = hex_data[start : start + row_chars]
        if row == previous:
            out.append(":")
            continue
        previous = row
        short = row.rstrip("0")
        if len(short) % 2:
            short += "0"
        out.append(short + "," if len(short) < len(row) else row)
    return "".join(out)


def field_data(text: str) -> str:
    """`^FH_`-escaped field data: `_`, `^` and `~` as hex so they are not commands."""
    return text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


class ZplRenderer(RasterRenderer):
    """Labels for ZPL printers: banded `^GFA` raster, optionally `^BC` and `^A@` text."""

    name = "zpl"
    LANGUAGES = frozenset({"zpl"})
    SETTINGS: ClassVar[Mapping[str, Setting]] = MappingProxyType(
        {
            "compress": Setting(bool, True),
            "resident_font": Setting(str, ""),
            "native_barcode": Setting(bool, False),
        }
    )

    def text_commands(self) -> bool:
        return bool(self.options["resident_font"])

    def barcode_commands(self) -> bool:
        return self.options["native_barcode"]

    def encode(self, request: RenderRequest, page: RasterPage) -> bytes:
        data, width_bytes = pack(page.image, ink_is_one=True)
        rows = page.image.height
        out = ["^XA"]
        if page.texts:
            out.append("^CI28")
        out += [f"^PW{page.image.width}", f"^LL{rows}", "^LH0,0"]
        band_rows = MAX_FIELD_BYTES // width_bytes
        for top in range(0, rows, band_rows):
            band = data[top * width_bytes : (top + band_rows) * width_bytes]
            hex_data = band.hex().upper()
            if self.options["compress"]:
                hex_data = compress_rows(hex_data, width_bytes * 2)
            n = len(band)
            out.append(f"^FO0,{top}^GFA,{n},{n},{width_bytes},{hex_data}^FS")
        out += [self.barcode(op, page) for op in page.barcodes]
        out += [self.text(op, page) for op in page.texts]
        out += [f"^PQ{request.copies}", "^XZ", ""]
        return "\n".join(out).encode("utf-8")

    def barcode(self, op: BarcodeOp, page: RasterPage) -> str:
        x = round(op.x * page.per_mm) + page.dx
        y = round(op.y * page.per_mm) + page.dy
        height = round(op.height * page.per_mm)
        return f"^FO{x},{y}^BY{op.module_dots}^BCN,{height},N,N,N,A^FH_^FD{field_data(op.data)}^FS"

    def text(self, op: TextOp, page: RasterPage) -> str:
        font = self.options["resident_font"]
        h = max(10, round(op.size_pt * page.per_mm * 25.4 / 72))
        width = round(op.width * page.per_mm)
        out = []
        for n, line in enumerate(op.lines):
            x = round(op.x * page.per_mm) + page.dx
            top = (op.y + n * op.line_height) * page.per_mm
            y = round(top + max(0.0, (op.line_height * page.per_mm - h) / 2)) + page.dy
            out.append(
                f"^FO{x},{y}^A@N,{h},{h},{font}^FB{width},1,0,{_ALIGN[op.align]},0"
                f"^FH_^FD{field_data(line)}^FS"
            )
        return "\n".join(out)


@hookimpl
def register_renderers() -> list[type[ZplRenderer]]:
    return [ZplRenderer]
