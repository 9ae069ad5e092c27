"""Laying out a template: validated elements + data → pages of drawing operations.

A `Planner` is built once per (template, dpi) and kept: it lays out the static elements
(frames, rules, literal captions, logos) once, so per label only the data-bound elements
are measured and placed. That split is what lets the raster renderers cache the static
part of the label as a ready bitmap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import segno

from core.errors import ValidationError
from core.templates.binding import bind, check_data, rows
from core.templates.elements import (
    BarcodeElement,
    BoxElement,
    Element,
    ImageElement,
    ItemsElement,
    LineElement,
    QrElement,
    TextElement,
)
from core.templates.validation import Layout
from plugins.renderers.code128 import QUIET_MODULES, bar_runs
from plugins.renderers.fonts import INK_TOP, METRICS, PT_MM
from plugins.renderers.ops import (
    BarcodeOp,
    ImageOp,
    LineOp,
    Op,
    QrOp,
    RectOp,
    TextOp,
    dots_per_mm,
)
from plugins.renderers.textfit import ellipsize, fit

CELL_PAD_MM = 1.0
BORDER_PAD_MM = 1.0
QR_QUIET_MODULES = 2


QR_MASK = 2


#: Small on purpose: QR data is unique per label, so a long memory only grows the runner.
@lru_cache(maxsize=64)
def qr_matrix(data: str, ecc: str) -> tuple[bytes, ...]:
    """The QR modules for `data` (no quiet zone), one bytes row per module row.

    The mask pattern is fixed rather than chosen by scoring all eight: scoring is 80 % of
    the encoding time (~3 ms of a label's budget), every mask is valid and decodable, and
    the QR is the secondary code on a label (the Code 128 is what carriers scan).
    """
    qr = segno.make_qr(data, error=ecc.lower(), mask=QR_MASK)
    return tuple(bytes(row) for row in qr.matrix)


def text_op(
    lines: Sequence[str],
    x: float,
    y: float,
    width: float,
    size_pt: float,
    *,
    bold: bool = False,
    align: str = "left",
    line_spacing: float = 1.15,
    white: bool = False,
) -> TextOp:
    """Place `lines` in a box `width` mm wide starting at (x, y)."""
    size_mm = size_pt * PT_MM
    line_height = size_mm * line_spacing
    if align == "left":
        offsets = [0.0] * len(lines)
    else:
        offsets = []
        for line in lines:
            free = width - METRICS.width_em(line) * size_mm
            offsets.append(free / 2 if align == "center" else free)
    return TextOp(
        x=x,
        y=y,
        width=width,
        lines=tuple(lines),
        line_x=tuple(offsets),
        size_pt=size_pt,
        bold=bold,
        align=align,
        line_height=line_height,
        ascender_offset=(line_height - size_mm) / 2 - INK_TOP * size_mm,
        white=white,
    )


class Planner:
    """Lays out one template for one printer resolution."""

    def __init__(self, layout: Layout, dpi: int) -> None:
        self.layout, self.dpi = layout, dpi
        self.per_mm = dots_per_mm(dpi)
        ops: list[Op] = []
        for element in layout.elements:
            if element.static:
                ops.extend(self._element(element, {}))
        self.static_ops: tuple[Op, ...] = tuple(ops)
        self.variable = tuple(e for e in layout.elements if not e.static)

    def pages(self, data: Mapping[str, Any]) -> list[list[Op]]:
        """The variable operations of each page (the static ones are `static_ops`)."""
        page_count = 1
        tables: dict[int, list[list[tuple[str, Any]]]] = {}
        for element in self.variable:
            if isinstance(element, ItemsElement):
                tables[element.index] = self._table_pages(element, data)
                if element.overflow == "paginate":
                    page_count = max(page_count, len(tables[element.index]))
        out = []
        for number in range(1, page_count + 1):
            page_data = {**data, "page": {"number": str(number), "count": str(page_count)}}
            if number == 1:
                check_data(self.layout, page_data)
            ops: list[Op] = []
            for element in self.variable:
                if isinstance(element, ItemsElement):
                    chunks = tables[element.index]
                    chunk = chunks[min(number, len(chunks)) - 1]
                    ops.extend(self._table_ops(element, chunk))
                else:
                    ops.extend(self._element(element, page_data))
            out.append(ops)
        return out

    # -- elements --------------------------------------------------------------------------

    def _element(self, element: Element, data: Mapping[str, Any]) -> list[Op]:
        if isinstance(element, TextElement):
            return self._text(element, data)
        if isinstance(element, BarcodeElement):
            return self._barcode(element, data)
        if isinstance(element, QrElement):
            return self._qr(element, data)
        if isinstance(element, LineElement):
            return [LineOp(element.x1, element.y1, element.x2, element.y2, element.thickness)]
        if isinstance(element, BoxElement):
            e = element
            return [RectOp(e.x, e.y, e.width, e.height, e.thickness, e.fill)]
        if isinstance(element, ImageElement):
            e = element
            return [ImageOp(e.x, e.y, e.width, e.height, e.data, e.fit)]
        raise AssertionError(f"no layout for {type(element).__name__}")  # pragma: no cover

    def _text(self, e: TextElement, data: Mapping[str, Any]) -> list[Op]:
        ops: list[Op] = []
        x, y, width, height = e.x, e.y, e.width, e.height
        if e.invert:
            ops.append(RectOp(x, y, width, height, 0.0, True))
        if e.border:
            ops.append(RectOp(x, y, width, height, 0.3, False))
            x, y = x + BORDER_PAD_MM, y + BORDER_PAD_MM
            width, height = width - 2 * BORDER_PAD_MM, height - 2 * BORDER_PAD_MM
        text = bind(e.content, data)
        if not text:
            return ops
        lines, size = fit(
            text,
            width,
            height,
            e.font_size,
            line_spacing=e.line_spacing,
            max_lines=e.max_lines,
            wrap_lines=e.wrap,
            shrink=e.shrink,
        )
        if e.element_type == "sort_code":  # the big route code sits centred in its band
            used = len(lines) * size * PT_MM * e.line_spacing
            y += max(0.0, (height - used) / 2)
        ops.append(
            text_op(
                lines,
                x,
                y,
                width,
                size,
                bold=e.bold,
                align=e.align,
                line_spacing=e.line_spacing,
                white=e.invert,
            )
        )
        return ops

    def _fail(self, e: Element, key: str, message: str) -> ValidationError:
        return ValidationError(
            f"template {self.layout.name!r}: element {e.index} ({e.type}) {key}: {message}",
            template=self.layout.name,
            element=e.index,
            field=key,
        )

    def _barcode(self, e: BarcodeElement, data: Mapping[str, Any]) -> list[Op]:
        value = bind(e.content, data)
        if not value:
            raise self._fail(e, "field", "the barcode's data is empty")
        try:
            bars, total = bar_runs(value)
        except ValidationError as exc:
            raise self._fail(e, "field", exc.message) from None
        width_dots = int(e.width * self.per_mm + 1e-6)
        widest = max(1, int(e.max_module_mm * self.per_mm + 1e-6))
        module = min(widest, width_dots // (total + 2 * QUIET_MODULES))
        if module < 1:
            raise self._fail(
                e,
                "width",
                f"{value!r} needs {total + 2 * QUIET_MODULES} modules with quiet zones, but "
                f"{e.width:g} mm is only {width_dots} dots at {self.dpi} dpi; widen the "
                "element or print at a higher resolution",
            )
        symbol_mm = total * module / self.per_mm
        x = e.x + (e.width - symbol_mm) / 2
        text_h = e.text_size * PT_MM * 1.2 if e.show_text else 0.0
        ops: list[Op] = [BarcodeOp(x, e.y, e.height - text_h, bars, total, module, self.dpi, value)]
        if e.show_text:
            line = ellipsize(value, e.width / (e.text_size * PT_MM))
            if METRICS.width_em(value) * e.text_size * PT_MM <= e.width:
                line = value
            y = e.y + e.height - text_h
            ops.append(
                text_op([line], e.x, y, e.width, e.text_size, align="center", line_spacing=1.2)
            )
        return ops

    def _qr(self, e: QrElement, data: Mapping[str, Any]) -> list[Op]:
        value = bind(e.content, data)
        if not value:
            raise self._fail(e, "field", "the QR code's data is empty")
        try:
            matrix = qr_matrix(value, e.ecc)
        except (ValueError, segno.DataOverflowError) as exc:
            raise self._fail(e, "field", f"cannot encode {value[:40]!r}: {exc}") from None
        side_dots = int(e.width * self.per_mm + 1e-6)
        module = side_dots // (len(matrix) + 2 * QR_QUIET_MODULES)
        if module < 1:
            raise self._fail(e, "size", f"{e.width:g} mm is too small for {len(matrix)} modules")
        offset = (e.width - len(matrix) * module / self.per_mm) / 2
        return [QrOp(e.x + offset, e.y + offset, matrix, module, self.dpi)]

    # -- items tables ----------------------------------------------------------------------

    def _row_height(self, e: ItemsElement) -> float:
        return e.row_height or e.font_size * PT_MM * 1.6

    def _table_pages(self, e: ItemsElement, data: Mapping[str, Any]) -> list[list[tuple[str, Any]]]:
        entries: list[tuple[str, Any]] = []
        group = None
        for row in rows(data, e.field):
            if e.group_by and row.get(e.group_by) != group:
                group = row.get(e.group_by)
                entries.append(("group", group))
            entries.append(("row", row))
        capacity = int((e.height + 1e-6) // self._row_height(e)) - (1 if e.header else 0)
        if capacity < 1:
            raise self._fail(e, "height", "the table is too low for even one row")
        if e.overflow == "paginate":
            chunks = [entries[i : i + capacity] for i in range(0, len(entries), capacity)]
            return chunks or [[]]
        if len(entries) <= capacity:
            return [entries]
        shown = entries[: capacity - 1]
        hidden = sum(1 for kind, _ in entries[capacity - 1 :] if kind == "row")
        return [[*shown, ("more", f"… 另有 {hidden} 项")]]

    def _table_ops(self, e: ItemsElement, entries: list[tuple[str, Any]]) -> list[Op]:
        row_h = self._row_height(e)
        size = min(e.font_size, row_h / PT_MM / 1.15)
        ops: list[Op] = []
        y = e.y
        all_rows: list[tuple[str, Any]] = [("header", None)] if e.header else []
        all_rows += entries
        for kind, value in all_rows:
            if kind in ("group", "more"):
                text = str(value) if kind == "more" else f"【{value or '—'}】"
                ops.append(self._cell(text, e.x, y, e.width, row_h, size, kind == "group", "left"))
            else:
                x = e.x
                for col in e.columns:
                    text = col.title if kind == "header" else str(value.get(col.field) or "")
                    ops.append(
                        self._cell(
                            text,
                            x,
                            y,
                            col.width,
                            row_h,
                            size,
                            kind == "header",
                            "center" if kind == "header" else col.align,
                        )
                    )
                    x += col.width
            y += row_h
            if e.grid:
                ops.append(LineOp(e.x, y, e.x + sum(c.width for c in e.columns), y, 0.2))
        if e.grid and all_rows:
            ops.append(RectOp(e.x, e.y, sum(c.width for c in e.columns), y - e.y, 0.3, False))
            runs: list[list[int]] = []  # [first, last] rows with columns (not group lines)
            for n, (kind, _value) in enumerate(all_rows):
                if kind in ("header", "row"):
                    if runs and runs[-1][1] == n - 1:
                        runs[-1][1] = n
                    else:
                        runs.append([n, n])
            x = e.x
            for col in e.columns[:-1]:
                x += col.width
                for first, last in runs:
                    ops.append(LineOp(x, e.y + first * row_h, x, e.y + (last + 1) * row_h, 0.2))
        return ops

    def _cell(
        self, text: str, x: float, y: float, w: float, h: float, size: float, bold: bool, align: str
    ) -> TextOp:
        inner = max(w - 2 * CELL_PAD_MM, 0.5)
        line = text.replace("\n", " ")
        if METRICS.width_em(line) * size * PT_MM > inner:
            line = ellipsize(line, inner / (size * PT_MM))
        spacing = h / (size * PT_MM)
        return text_op(
            [line], x + CELL_PAD_MM, y, inner, size, bold=bold, align=align, line_spacing=spacing
        )
