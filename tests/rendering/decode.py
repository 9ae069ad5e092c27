"""Test-side readers: a Code 128 scanline decoder and parsers that turn TSPL, ZPL and
ESC/POS bytes back into images.

They are written from the standards and printing.md, independently of the renderers'
code (the Code 128 table here is typed as widths per value and checked against
python-barcode's table in test_code128.py), so a test that round-trips through them
checks the renderers rather than repeating them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PIL import Image

# Code 128 symbol values 0..106 as bar/space widths, from ISO/IEC 15417 Table 1.
_TABLE = """
212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212
112232 122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131
311222 321122 321221 312212 322112 322211 212123 212321 232121 111323 131123 131321
112313 132113 132311 211313 231113 231311 112133 112331 132131 113123 113321 133121
313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111
314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114
122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212
124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113
114311 411113 411311 113141 114131 311141 411131 211412 211214 211232 233111
"""
WIDTHS = _TABLE.split()
VALUE_OF = {w: v for v, w in enumerate(WIDTHS)}


class DecodeError(ValueError):
    pass


def runs(scanline: Sequence[bool]) -> list[tuple[bool, int]]:
    """(dark, length) runs of a scanline."""
    out: list[tuple[bool, int]] = []
    for dark in scanline:
        if out and out[-1][0] == dark:
            out[-1] = (dark, out[-1][1] + 1)
        else:
            out.append((dark, 1))
    return out


def decode_code128(scanline: Sequence[bool]) -> str:
    """Decode one Code 128 symbol from a row of pixels (True = dark).

    Finds a start pattern (6 elements, 11 modules), estimates the module width from each
    symbol's own total, reads symbols until STOP, checks the check value, and applies the
    subset rules (A, B, C, shifts not used by waybills are refused).
    """
    elements = runs(scanline)
    for first in range(len(elements) - 6):
        if not elements[first][0]:
            continue
        try:
            return _decode_from(elements, first)
        except DecodeError:
            continue
    raise DecodeError("no Code 128 symbol found in the scanline")


def _symbol(elements: list[tuple[bool, int]], at: int) -> tuple[int, float]:
    widths = [n for _dark, n in elements[at : at + 6]]
    if len(widths) < 6:
        raise DecodeError("scanline ends inside a symbol")
    module = sum(widths) / 11
    key = "".join(str(max(1, min(4, round(w / module)))) for w in widths)
    if key not in VALUE_OF:
        raise DecodeError(f"unknown symbol {key}")
    return VALUE_OF[key], module


def _decode_from(elements: list[tuple[bool, int]], at: int) -> str:
    start, _module = _symbol(elements, at)
    if start not in (103, 104, 105):
        raise DecodeError("not a start symbol")
    values = [start]
    at += 6
    while True:
        value, module = _symbol(elements, at)
        if value == 106:  # STOP: 2331112, its final bar is the 7th element
            if at + 6 >= len(elements) or round(elements[at + 6][1] / module) != 2:
                raise DecodeError("STOP without its termination bar")
            break
        values.append(value)
        at += 6
    *data, check = values
    if (data[0] + sum(i * v for i, v in enumerate(data[1:], 1))) % 103 != check:
        raise DecodeError("check value does not match")
    return _text(data)


def _text(values: list[int]) -> str:
    subset = {103: "A", 104: "B", 105: "C"}[values[0]]
    out = []
    for value in values[1:]:
        if subset == "C":
            if value < 100:
                out.append(f"{value:02d}")
                continue
            subset = {100: "B", 101: "A"}.get(value, "")
            if not subset:
                raise DecodeError(f"value {value} in subset C")
            continue
        if value == 99:
            subset = "C"
        elif value == 100 and subset == "A":
            subset = "B"
        elif value == 101 and subset == "B":
            subset = "A"
        elif value >= 96:
            raise DecodeError(f"function value {value} not supported")
        elif subset == "B":
            out.append(chr(value + 32))
        else:
            out.append(chr(value + 32) if value < 64 else chr(value - 64))
    return "".join(out)


def find_code128(image: Image.Image) -> str:
    """Decode the first Code 128 found on any row, scanning top to bottom."""
    gray = image.convert("L")
    width = gray.width
    data = gray.tobytes()
    for y in range(gray.height):
        row = [b < 128 for b in data[y * width : (y + 1) * width]]
        if sum(row) < 20:
            continue
        try:
            return decode_code128(row)
        except DecodeError:
            continue
    raise DecodeError("no row of the image holds a readable Code 128 symbol")


def unpack(data: bytes, width_bytes: int, rows: int, *, ink_is_one: bool) -> Image.Image:
    """Packed rows (MSB = leftmost) → a mode "1" image, white = 255."""
    if len(data) != width_bytes * rows:
        raise DecodeError(f"{len(data)} bytes for {width_bytes}×{rows}")
    if ink_is_one:
        data = bytes(b ^ 0xFF for b in data)
    return Image.frombytes("1", (width_bytes * 8, rows), data)


TSPL_BITMAP = re.compile(rb"BITMAP (\d+),(\d+),(\d+),(\d+),(\d+),")


def tspl_bitmaps(document: bytes, *, invert: bool = False) -> list[Image.Image]:
    """Every BITMAP of a TSPL document as an image (1 bit = white unless `invert`)."""
    images = []
    at = 0
    while (match := TSPL_BITMAP.search(document, at)) is not None:
        width_bytes, rows = int(match[3]), int(match[4])
        start = match.end()
        end = start + width_bytes * rows
        images.append(unpack(document[start:end], width_bytes, rows, ink_is_one=invert))
        at = end
    return images


ZPL_GF = re.compile(r"\^FO0,(\d+)\^GFA,(\d+),(\d+),(\d+),([0-9A-F,:]*)\^FS")


def zpl_raster(document: str) -> Image.Image:
    """The bands of one ZPL label's ^GFA fields assembled into one image, decoding the
    `,` (zero-fill) and `:` (repeat row) compression."""
    width = int(re.search(r"\^PW(\d+)", document)[1])
    height = int(re.search(r"\^LL(\d+)", document)[1])
    image = Image.new("1", (width, height), 255)
    for match in ZPL_GF.finditer(document):
        top, total, total2, bpr = (int(match[i]) for i in range(1, 5))
        if total != total2:
            raise DecodeError("^GFA byte counts b and c differ")
        rows = _zpl_rows(match[5], bpr)
        if sum(len(r) for r in rows) != total:
            raise DecodeError(f"band at {top}: {sum(map(len, rows))} bytes, header says {total}")
        image.paste(unpack(b"".join(rows), bpr, len(rows), ink_is_one=True), (0, top))
    return image.crop((0, 0, width, height))


def _zpl_rows(text: str, bpr: int) -> list[bytes]:
    """Scan row by row: a row is `bpr` bytes of hex, or fewer ended by `,` (rest zero),
    or a lone `:` (the previous row again)."""
    rows: list[bytes] = []
    at, row_chars = 0, bpr * 2
    while at < len(text):
        if text[at] == ":":
            rows.append(rows[-1])
            at += 1
            continue
        end = at
        while end < len(text) and end - at < row_chars and text[end] not in ",:":
            end += 1
        hex_part = text[at:end]
        if end < len(text) and text[end] == ",":
            hex_part = hex_part.ljust(row_chars, "0")
            end += 1
        elif len(hex_part) != row_chars:
            raise DecodeError(f"short row without ',' at {at}")
        rows.append(bytes.fromhex(hex_part))
        at = end
    return rows


def escpos_raster(document: bytes) -> Image.Image:
    """The `GS v 0` bands of an ESC/POS document stacked into one image."""
    if not document.startswith(b"\x1b@"):
        raise DecodeError("document does not start with ESC @")
    bands = []
    at = 2
    while (at := document.find(b"\x1dv0\x00", at)) != -1:
        xl, xh, yl, yh = document[at + 4 : at + 8]
        width_bytes, rows = xl + 256 * xh, yl + 256 * yh
        start = at + 8
        bands.append(
            unpack(document[start : start + width_bytes * rows], width_bytes, rows, ink_is_one=True)
        )
        at = start + width_bytes * rows
    image = Image.new("1", (bands[0].width, sum(b.height for b in bands)), 255)
    top = 0
    for band in bands:
        image.paste(band, (0, top))
        top += band.height
    return image
