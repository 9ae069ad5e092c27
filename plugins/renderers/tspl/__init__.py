"""TSPL (TSC and its clones: Gprinter 佳博, Xprinter 芯烨, HPRT 汉印, Deli 得力 …).

A label is `SIZE`, `GAP`, `DIRECTION`, `REFERENCE`, `DENSITY` (and `SPEED` if set), `CLS`,
one `BITMAP 0,0,<bytes per row>,<rows>,0,` followed by the raw rows (MSB = leftmost dot),
then `PRINT 1,<copies>`; lines end with CRLF. Chinese is drawn into the bitmap with the
shipped font, so any TSPL printer prints it. Options: `resident_font` (e.g. `TSS24.BF2`)
sends text as `TEXT` commands in GBK instead; `native_barcode` sends Code 128 as
`BARCODE … "128"` with the same whole-dot module width. TSPL printers disagree on bitmap
polarity (printing.md §1.1): by default a 1 bit is white, `invert_bitmap` flips it.
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

CRLF = b"\r\n"


#: Characters GBK lacks whose full-width form it has (prices print as ￥, not ?).
_GBK_FORMS = str.maketrans({"¥": "￥"})


def _quote(text: str, encoding: str) -> bytes:
    """A TSPL string literal: double quotes inside become `\\["]`."""
    text = text.translate(_GBK_FORMS).replace('"', '\\["]')
    return b'"' + text.encode(encoding, errors="replace") + b'"'


class TsplRenderer(RasterRenderer):
    """Labels for TSPL printers: a full-label BITMAP, optionally with TEXT/BARCODE."""

    name = "tspl"
    LANGUAGES = frozenset({"tspl"})
    SETTINGS: ClassVar[Mapping[str, Setting]] = MappingProxyType(
        {
            "gap_mm": Setting(float, 2.0, 0.0, 50.0),
            "gap_offset_mm": Setting(float, 0.0, 0.0, 50.0),
            "density": Setting(int, 8, 0, 15),
            "speed": Setting(float, 0.0, 0.0, 18.0),  # inches per second; 0: printer default
            "direction": Setting(int, 1, choices=(0, 1)),
            "invert_bitmap": Setting(bool, False),
            "resident_font": Setting(str, ""),
            "resident_font_dots": Setting(int, 24, 8, 96),  # cell height of resident_font
            "native_barcode": Setting(bool, False),
        }
    )

    def text_commands(self) -> bool:
        return bool(self.options["resident_font"])

    def barcode_commands(self) -> bool:
        return self.options["native_barcode"]

    def header(self, request: RenderRequest) -> bytes:
        o, spec = self.options, request.template
        lines = [
            f"SIZE {spec.width_mm:g} mm,{spec.height_mm:g} mm",
            f"GAP {o['gap_mm']:g} mm,{o['gap_offset_mm']:g} mm",
            f"DIRECTION {o['direction']},0",
            "REFERENCE 0,0",
            f"DENSITY {o['density']}",
        ]
        if o["speed"]:
            lines.append(f"SPEED {o['speed']:g}")
        lines.append("CLS")
        return CRLF.join(line.encode("ascii") for line in lines) + CRLF

    def encode(self, request: RenderRequest, page: RasterPage) -> bytes:
        data, width_bytes = pack(page.image, ink_is_one=self.options["invert_bitmap"])
        rows = page.image.height
        out = [
            self.header(request),
            f"BITMAP 0,0,{width_bytes},{rows},0,".encode("ascii"),
            data,
            CRLF,
        ]
        out += [self.barcode(op, page) for op in page.barcodes]
        out += [self.text(op, page) for op in page.texts]
        out.append(f"PRINT 1,{request.copies}".encode("ascii") + CRLF)
        return b"".join(out)

    def barcode(self, op: BarcodeOp, page: RasterPage) -> bytes:
        x = round(op.x * page.per_mm) + page.dx
        y = round(op.y * page.per_mm) + page.dy
        height = round(op.height * page.per_mm)
        m = op.module_dots
        return (
            f'BARCODE {x},{y},"128",{height},0,0,{m},{m},'.encode()
            + _quote(op.data, "ascii")
            + CRLF
        )

    def text(self, op: TextOp, page: RasterPage) -> bytes:
        """One TEXT per line; the multiplier picks the resident font size nearest the
        template's, and alignment uses the resident font's widths (CJK = cell, ASCII = ½)."""
        cell = self.options["resident_font_dots"]
        font = self.options["resident_font"]
        px = op.size_pt * page.per_mm * 25.4 / 72
        mul = max(1, min(10, round(px / cell)))
        box_w = op.width * page.per_mm
        out = []
        for n, line in enumerate(op.lines):
            width = sum(cell if ord(c) > 127 else cell // 2 for c in line) * mul
            free = box_w - width
            shift = 0 if op.align == "left" else free / 2 if op.align == "center" else free
            x = round(op.x * page.per_mm + max(0.0, shift)) + page.dx
            line_top = (op.y + n * op.line_height) * page.per_mm
            y = round(line_top + max(0.0, (op.line_height * page.per_mm - cell * mul) / 2))
            head = f'TEXT {x},{y + page.dy},"{font}",0,{mul},{mul},'.encode("ascii")
            out.append(head + _quote(line, "gbk") + CRLF)
        return b"".join(out)


@hookimpl
def register_renderers() -> list[type[TsplRenderer]]:
    return [TsplRenderer]
