"""Drawing the desk table's lines: cells of `tui.widgets.desk.rows` into one `Strip` each.

The order table is a Line API widget: it draws only the lines in view, each straight
from text and styles, without Rich's layout of every cell (measure, wrap, pad), which
cost more than the page read itself at every redraw. Columns have a width each (the
widest cell seen, up to a cap per column), one space of padding on either side; text too
wide for its column ends in "…". Widths count terminal cells, so Chinese text (two cells
a character) lines up.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui.widgets.desk.rows import Cell

PAD = 1  # spaces either side of a cell
ELLIPSIS = "…"
#: The widest a column grows (in cells) however long its texts; the others fit their text.
CAPS = {"notes": 28, "tags": 16, "receiver": 22, "region": 16, "carrier": 14, "shop": 14}


@lru_cache(maxsize=256)
def parsed(style: str) -> Style:
    return Style.parse(style) if style else Style.null()


def _styled(base: Style, style: str) -> Style:
    return base + parsed(style) if style else base


def widths_for(
    columns: Sequence[str],
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    floor: Sequence[int] = (),
) -> list[int]:
    """Each column's width: its widest cell or header, at most its cap, never below
    `floor` (the widths already shown, so columns do not jump while scrolling)."""
    widths = [max(1, cell_len(header)) for header in headers]
    for index, width in enumerate(floor[: len(widths)]):
        widths[index] = max(widths[index], width)
    for cells in rows:
        for index, cell in enumerate(cells):
            width = cell.width
            if width > widths[index]:
                widths[index] = width
    return [min(width, CAPS.get(name, width)) for name, width in zip(columns, widths, strict=True)]


def line_width(widths: Sequence[int]) -> int:
    return sum(widths) + 2 * PAD * len(widths)


def draw(cells: Sequence[Cell], widths: Sequence[int], base: Style) -> Strip:
    """One table line: `cells` in their columns over the row's `base` style."""
    pad = Segment(" " * PAD, base)
    segments: list[Segment] = []
    for cell, width in zip(cells, widths, strict=True):
        segments.append(pad)
        segments.extend(_fitted(cell, width, base))
        segments.append(pad)
    return Strip(segments, line_width(widths))


def _fitted(cell: Cell, width: int, base: Style) -> list[Segment]:
    """The cell's parts cut or padded to exactly `width` cells."""
    used = cell.width
    if used > width:
        return _cut(cell, width, base)
    segments = [Segment(text, _styled(base, style)) for text, style in cell.parts]
    gap = Segment(" " * (width - used), base)
    return [gap, *segments] if cell.right else [*segments, gap]


def _cut(cell: Cell, width: int, base: Style) -> list[Segment]:
    room = width - cell_len(ELLIPSIS)
    segments: list[Segment] = []
    style = base
    for text, part_style in cell.parts:
        style = _styled(base, part_style)
        size = cell_len(text)
        if size <= room:
            segments.append(Segment(text, style))
            room -= size
            continue
        if room > 0:
            segments.append(Segment(set_cell_size(text, room), style))
        break
    segments.append(Segment(ELLIPSIS, style))
    return segments
