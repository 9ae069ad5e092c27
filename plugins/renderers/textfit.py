"""Breaking text into lines that fit a box, with the shipped font's advance widths.

Chinese breaks between any two characters; runs of ASCII (a waybill number, "500ml",
an English word) stay whole unless they alone are wider than the line. Text that still
does not fit is shrunk (when the element asks for it, down to `MIN_SIZE_PT`) and then cut
with "…", never drawn outside its box.
"""

from __future__ import annotations

import re

from plugins.renderers.fonts import METRICS, PT_MM

MIN_SIZE_PT = 6.0
ELLIPSIS = "…"
_TOKENS = re.compile(r"[!-~]+|\s|.", re.DOTALL)
#: Punctuation that must not start a line (禁则): it stays at the end of the line before.
_NO_LINE_START = set("，。、；：！？）》」』】,.;:!?)")


def wrap(text: str, max_em: float) -> list[str]:
    """Greedy line breaking of `text` into lines at most `max_em` wide."""
    lines: list[str] = []
    width_em = METRICS.width_em
    for paragraph in text.split("\n"):
        if width_em(paragraph) <= max_em:  # the common case: it fits, nothing to break
            lines.append(paragraph.rstrip())
            continue
        line, used = "", 0.0
        for token in _TOKENS.findall(paragraph):
            if not line and token.isspace():
                continue
            w = width_em(token)
            if used + w <= max_em or not line or (token in _NO_LINE_START and len(token) == 1):
                if w > max_em and not line and len(token) > 1:
                    pieces = _split_long(token, max_em)
                    lines.extend(pieces[:-1])
                    line, used = pieces[-1], width_em(pieces[-1])
                    continue
                line += token
                used += w
                continue
            lines.append(line.rstrip())
            if token.isspace():
                line, used = "", 0.0
            elif w > max_em:
                pieces = _split_long(token, max_em)
                lines.extend(pieces[:-1])
                line, used = pieces[-1], width_em(pieces[-1])
            else:
                line, used = token, w
        lines.append(line.rstrip())
    return lines


def _split_long(token: str, max_em: float) -> list[str]:
    pieces, piece, used = [], "", 0.0
    for char in token:
        w = METRICS.advance(char)
        if piece and used + w > max_em:
            pieces.append(piece)
            piece, used = "", 0.0
        piece += char
        used += w
    pieces.append(piece)
    return pieces


def ellipsize(line: str, max_em: float) -> str:
    """`line` cut so that it plus "…" is at most `max_em` wide."""
    budget = max_em - METRICS.advance(ELLIPSIS)
    used = 0.0
    for n, char in enumerate(line):
        used += METRICS.advance(char)
        if used > budget:
            return line[:n].rstrip() + ELLIPSIS
    return line + ELLIPSIS


def fit(
    text: str,
    width: float,
    height: float,
    size_pt: float,
    *,
    line_spacing: float = 1.15,
    max_lines: int = 0,
    wrap_lines: bool = True,
    shrink: bool = False,
) -> tuple[list[str], float]:
    """Lines and the font size (pt) that fit `text` into `width` × `height` mm."""
    width_em = METRICS.width_em
    if shrink and (not wrap_lines or max_lines == 1):
        widest = max((width_em(p) for p in text.split("\n")), default=0.0)
        if widest > 0:
            size_pt = max(MIN_SIZE_PT, min(size_pt, width / (widest * PT_MM)))
            size_pt = int(size_pt * 4) / 4  # quarter points: stable across machines
    while True:
        size_mm = size_pt * PT_MM
        capacity = max(1, int((height + 1e-6) // (size_mm * line_spacing)))
        if max_lines:
            capacity = min(capacity, max_lines)
        max_em = width / size_mm
        if wrap_lines:  # wrapped lines fit the width by construction
            lines = wrap(text, max_em)
            fits = len(lines) <= capacity
        else:
            lines = text.split("\n")
            fits = len(lines) <= capacity and all(width_em(ln) <= max_em + 1e-9 for ln in lines)
        if fits or not shrink or size_pt <= MIN_SIZE_PT:
            break
        size_pt = max(MIN_SIZE_PT, size_pt - 0.5)
    if len(lines) > capacity:
        lines = lines[:capacity]
        lines[-1] = ellipsize(lines[-1], max_em)
    if not wrap_lines:
        lines = [ellipsize(ln, max_em) if width_em(ln) > max_em + 1e-9 else ln for ln in lines]
    return lines, size_pt
