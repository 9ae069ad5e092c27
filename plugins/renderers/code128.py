"""Code 128 encoding (ISO/IEC 15417), the symbology of every Chinese waybill barcode.

Written here rather than taken from a barcode library because renderers need the bars as
whole modules (to draw them at whole-dot widths, never scaled), need it fast (once per
label), and need the same bars in every language. Subset C packs digit pairs, so switching
to it for runs of four or more digits keeps the symbol short: a waybill such as
`YT7500012345678` fits a 76 mm label at 3 dots per module.
"""

from __future__ import annotations

from functools import lru_cache

from core.errors import ValidationError

#: Bar/space widths (in modules) of symbol values 0–105, then STOP (value 106).
_TABLE = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 "
    "221312 231212 112232 122132 122231 113222 123122 123221 223211 221132 "
    "221231 213212 223112 312131 311222 321122 321221 312212 322112 322211 "
    "212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 "
    "231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 "
    "231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 "
    "314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 "
    "112412 122114 122411 142112 142211 241211 221114 413111 241112 134111 "
    "111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 "
    "214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 "
    "114131 311141 411131 211412 211214 211232 2331112"
)
PATTERNS = tuple(_TABLE.split())

START_A, START_B, START_C = 103, 104, 105
CODE_A, CODE_B, CODE_C = 101, 100, 99
STOP = 106
QUIET_MODULES = 10  # quiet zone each side, required by the standard


def _digits_ahead(data: str, at: int) -> int:
    n = at
    while n < len(data) and "0" <= data[n] <= "9":
        n += 1
    return n - at


def _value(char: str, subset: str) -> int:
    code = ord(char)
    if subset == "B":
        return code - 32
    return code + 64 if code < 32 else code - 32  # subset A


def encode_values(data: str) -> list[int]:
    """Symbol values, start code through check value (STOP not included).

    Printable ASCII in subset B, control characters in A, runs of ≥ 4 digits in C (an odd
    run leaves its first digit in B or A). Anything outside ASCII 0–127 is refused.
    """
    if not data:
        raise ValidationError("a Code 128 barcode needs data", field="barcode")
    bad = sorted({c for c in data if ord(c) > 127})
    if bad:
        raise ValidationError(
            f"Code 128 encodes ASCII only; {data!r} has {''.join(bad)!r}", field="barcode"
        )
    values: list[int] = []
    run = _digits_ahead(data, 0)
    if run >= 4 or run == len(data) == 2:
        subset = "C"
        values.append(START_C)
    else:
        subset = "A" if ord(data[0]) < 32 else "B"
        values.append(START_A if subset == "A" else START_B)
    i = 0
    while i < len(data):
        run = _digits_ahead(data, i)
        if subset == "C":
            if run >= 2:
                values.append(int(data[i : i + 2]))
                i += 2
                continue
            subset = "A" if ord(data[i]) < 32 else "B"
            values.append(CODE_A if subset == "A" else CODE_B)
        if run >= 4 and run % 2 == 0:
            subset = "C"
            values.append(CODE_C)
            continue
        char = data[i]
        if subset == "B" and ord(char) < 32:
            subset = "A"
            values.append(CODE_A)
        elif subset == "A" and ord(char) >= 96:
            subset = "B"
            values.append(CODE_B)
        values.append(_value(char, subset))
        i += 1
    check = (values[0] + sum(n * v for n, v in enumerate(values[1:], 1))) % 103
    values.append(check)
    return values


#: A label asks for its barcode more than once (measure, then draw); waybill numbers are
#: unique, so a long memory only grows the runner over a batch (bench/print_bench.py).
@lru_cache(maxsize=64)
def bar_runs(data: str) -> tuple[tuple[tuple[int, int], ...], int]:
    """`((start, width), …)` of the dark bars in modules from the first bar, and the
    symbol's total width in modules (quiet zones not included)."""
    bars: list[tuple[int, int]] = []
    position = 0
    for value in [*encode_values(data), STOP]:
        for k, width in enumerate(PATTERNS[value]):
            w = int(width)
            if k % 2 == 0:
                bars.append((position, w))
            position += w
    return tuple(bars), position


def modules(data: str) -> str:
    """The symbol as a string of '1' (bar) and '0' (space) modules, for tests and tools."""
    bars, total = bar_runs(data)
    out = ["0"] * total
    for start, width in bars:
        out[start : start + width] = ["1"] * width
    return "".join(out)
