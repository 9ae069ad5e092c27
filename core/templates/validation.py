"""Checking a stored template and turning its JSON elements into typed `Layout` elements.

Every problem is collected (a template editor wants them all at once) and raised as one
`ValidationError` whose message names the template, the element index and type, and the
key that is wrong; `details["problems"]` lists them as `{element, key, message}` dicts.
Nothing is drawn from a template that did not pass.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.contracts.renderer import TemplateSpec
from core.errors import ValidationError
from core.templates.elements import (
    ALIGNS,
    ELEMENT_TYPES,
    BarcodeElement,
    BoxElement,
    Column,
    Element,
    ImageElement,
    ItemsElement,
    LineElement,
    QrElement,
    TextElement,
)
from core.templates.fields import KINDS, LIST_FIELDS
from core.templates.images import ImageProblem, decode_image
from core.templates.limits import (
    MAX_BARCODE_CHARS,
    MAX_COLUMNS,
    MAX_ELEMENT_MM,
    MAX_ELEMENTS,
    MAX_FONT_PT,
    MAX_LINE_SPACING,
    MAX_LINES,
    MAX_MEDIA_MM,
    MAX_MODULE_MM,
    MAX_QR_BYTES,
    MAX_ROW_MM,
    MAX_TEXT_CHARS,
    MAX_THICKNESS_MM,
    MIN_ELEMENT_MM,
    MIN_FONT_PT,
    MIN_LINE_SPACING,
    MIN_MEDIA_MM,
    MIN_MODULE_MM,
    MIN_ROW_MM,
    MIN_THICKNESS_MM,
)
from core.templates.reader import (
    EDGE_TOLERANCE_MM,
    ElementReader,
    Problem,
    brief,
    is_number,
    range_problem,
)

#: Problems spelled out in the error's message; `details["problems"]` has them all.
SHOWN_PROBLEMS = 10

_BOX = ("x", "y", "width", "height")
_TEXT = ("field", "text", "format", "mask", "font_size", "bold", "max_lines", "wrap", "align")
_TEXT = (*_TEXT, "shrink", "line_spacing", "border", "invert")
_ITEMS = ("field", "columns", "font_size", "header", "row_height", "group_by", "overflow", "grid")
KEYS: dict[str, tuple[str, ...]] = {
    "text": _BOX + _TEXT,
    "sort_code": _BOX + _TEXT,
    "custom_area": _BOX + _TEXT,
    "barcode": (*_BOX, "field", "text", "symbology", "show_text", "text_size", "max_module_mm"),
    "qrcode": ("x", "y", "size", "width", "height", "field", "text", "format", "ecc"),
    "line": ("x1", "y1", "x2", "y2", "thickness"),
    "box": (*_BOX, "thickness", "fill"),
    "image": (*_BOX, "data", "fit"),
    "items": _BOX + _ITEMS,
}


@dataclass(frozen=True)
class Layout:
    """A template that passed validation, with its typed elements in drawing order."""

    spec: TemplateSpec
    elements: tuple[Element, ...]

    @property
    def name(self) -> str:
        return self.spec.name


def parse_layout(spec: TemplateSpec) -> Layout:
    """Validate `spec` and build its elements; raise `ValidationError` listing every problem."""
    problems: list[dict[str, Any]] = []
    if spec.kind not in KINDS:
        problems.append(
            {"element": None, "key": "kind", "message": f"kind must be one of {', '.join(KINDS)}"}
        )
        _raise(spec, problems)
    for key in ("width_mm", "height_mm"):
        problem = range_problem(key, getattr(spec, key), MIN_MEDIA_MM, MAX_MEDIA_MM)
        if problem:
            problems.append({"element": None, "key": key, "message": problem})
    if len(spec.elements) > MAX_ELEMENTS:
        problems.append(
            {
                "element": None,
                "key": "elements",
                "message": f"{len(spec.elements)} elements; at most {MAX_ELEMENTS}",
            }
        )
    if problems:  # the elements cannot be checked against a media that is not there
        _raise(spec, problems)
    elements: list[Element] = []
    for index, raw in enumerate(spec.elements):
        reader = _Reader(spec, index, raw, problems)
        element = reader.element()
        if element is not None:
            elements.append(element)
    if problems:
        _raise(spec, problems)
    return Layout(spec, tuple(elements))


def _raise(spec: TemplateSpec, problems: list[dict[str, Any]]) -> None:
    def where(p: dict[str, Any]) -> str:
        if p["element"] is None:
            return f"{p['key']}: "
        return f"element {p['element']} ({p.get('type') or '?'}) {p['key']}: "

    text = "; ".join(where(p) + p["message"] for p in problems[:SHOWN_PROBLEMS])
    if len(problems) > SHOWN_PROBLEMS:
        text += f"; and {len(problems) - SHOWN_PROBLEMS} more problems"
    first = problems[0]
    raise ValidationError(
        f"template {spec.name!r}: {text}",
        template=spec.name,
        element=first["element"],
        field=first["key"],
        problems=problems,
    )


class _Reader(ElementReader):
    """Reads one element mapping; records problems instead of stopping at the first."""

    def __init__(
        self, spec: TemplateSpec, index: int, raw: object, problems: list[dict[str, Any]]
    ) -> None:
        super().__init__(spec, index, raw)
        self.problems = problems
        self.ok = True

    def problem(self, key: str, message: str) -> None:
        self.ok = False
        self.problems.append(
            {"element": self.index, "type": self.type, "key": key, "message": message}
        )

    def element(self) -> Element | None:
        if not self.raw:
            self.problem("type", "an element must be a JSON object with a 'type'")
            return None
        if self.type not in ELEMENT_TYPES:
            got = self.raw.get("type")
            self.problem(
                "type", f"unknown element type {brief(got)}; use one of {', '.join(ELEMENT_TYPES)}"
            )
            return None
        for key in self.raw:
            if key != "type" and key not in KEYS[self.type]:
                name = key if len(str(key)) <= 40 else str(key)[:39] + "…"
                self.problem(name, f"unknown key {brief(key)} for a {self.type} element")
        try:
            element = getattr(self, f"_{self.type}")()
        except Problem as problem:
            self.problem(problem.key, problem.message)
            return None
        return element if self.ok else None

    # -- element builders ----------------------------------------------------------------

    def _text(self) -> TextElement:
        return TextElement(
            index=self.index,
            element_type=self.type,
            **self.box(),
            content=self.binding(),
            font_size=self.font_size("font_size", 10.0),
            bold=self.flag("bold", False),
            max_lines=self.count("max_lines", 0, MAX_LINES),
            wrap=self.flag("wrap", True),
            align=self.choice("align", ALIGNS, "left"),
            shrink=self.flag("shrink", False),
            line_spacing=self.positive(
                "line_spacing", 1.15, MIN_LINE_SPACING, MAX_LINE_SPACING, unit=""
            ),
            border=self.flag("border", False),
            invert=self.flag("invert", False),
        )

    _sort_code = _text
    _custom_area = _text

    def _barcode(self) -> BarcodeElement:
        self.choice("symbology", ("code128",), "code128")
        return BarcodeElement(
            index=self.index,
            **self.box(),
            content=self.binding(allow_format=False, max_chars=MAX_BARCODE_CHARS),
            show_text=self.flag("show_text", True),
            text_size=self.font_size("text_size", 8.0),
            max_module_mm=self.positive("max_module_mm", 0.5, MIN_MODULE_MM, MAX_MODULE_MM),
        )

    def _qrcode(self) -> QrElement:
        size = self.raw.get("size")
        side = self.positive("size") if size is not None else self.positive("width")
        if size is None and self.raw.get("height", side) != side:
            raise Problem("height", "a QR code is square: give size, or equal width and height")
        x, y = self.number("x"), self.number("y")
        self.on_media(x + side, y + side)
        return QrElement(
            index=self.index,
            x=x,
            y=y,
            width=side,
            height=side,
            content=self.binding(max_bytes=MAX_QR_BYTES),
            ecc=self.choice("ecc", ("L", "M", "Q", "H"), "M"),
        )

    def _line(self) -> LineElement:
        x1, y1, x2, y2 = (self.number(k) for k in ("x1", "y1", "x2", "y2"))
        thickness = self.thickness()
        self.on_media(max(x1, x2), max(y1, y2))
        return LineElement(
            index=self.index,
            x=min(x1, x2),
            y=min(y1, y2),
            width=abs(x2 - x1),
            height=abs(y2 - y1),
            x1=x1,
            y1=y1,
            x2=x2,
            y2=y2,
            thickness=thickness,
        )

    def _box(self) -> BoxElement:
        return BoxElement(
            index=self.index,
            **self.box(),
            thickness=self.thickness(),
            fill=self.flag("fill", False),
        )

    def _image(self) -> ImageElement:
        geometry = self.box()
        if "data" not in self.raw:
            raise Problem("data", "data (the image as base64) is required")
        try:
            data = decode_image(self.raw["data"])
        except ImageProblem as exc:
            raise Problem("data", str(exc)) from None
        fit = self.choice("fit", ("contain", "stretch"), "contain")
        return ImageElement(index=self.index, **geometry, data=data, fit=fit)

    def _items(self) -> ItemsElement:
        geometry = self.box()
        lists = LIST_FIELDS[self.spec.kind]
        field = self.get("field", next(iter(lists), None))
        if not isinstance(field, str) or field not in lists:
            raise Problem(
                "field",
                f"unknown list field {brief(field)} for a {self.spec.kind} "
                f"template; use {', '.join(lists) or 'none (this kind has no list)'}",
            )
        rows = lists[field]
        columns = self.columns(rows, geometry["width"])
        group_by = self.get("group_by", "")
        if group_by and (not isinstance(group_by, str) or group_by not in rows):
            raise Problem("group_by", f"unknown row field {brief(group_by)}; use {', '.join(rows)}")
        return ItemsElement(
            index=self.index,
            **geometry,
            field=field,
            columns=columns,
            font_size=self.font_size("font_size", 9.0),
            header=self.flag("header", True),
            row_height=self.row_height(),
            group_by=group_by,
            overflow=self.choice("overflow", ("truncate", "paginate"), "truncate"),
            grid=self.flag("grid", True),
        )

    def font_size(self, key: str, default: float) -> float:
        return self.positive(key, default, MIN_FONT_PT, MAX_FONT_PT, unit=" pt")

    def thickness(self) -> float:
        return self.positive("thickness", 0.3, MIN_THICKNESS_MM, MAX_THICKNESS_MM)

    def row_height(self) -> float:
        value = self.get("row_height", 0.0)
        problem = range_problem("row_height", value, MIN_ROW_MM, MAX_ROW_MM, zero=True)
        if problem:
            raise Problem("row_height", problem)
        return float(value)

    def columns(self, rows: Mapping[str, str], width: float) -> tuple[Column, ...]:
        raw = self.raw.get("columns")
        if not isinstance(raw, list) or not raw:
            raise Problem("columns", "columns must be a non-empty list of {field, title, width}")
        if len(raw) > MAX_COLUMNS:
            raise Problem("columns", f"{len(raw)} columns; at most {MAX_COLUMNS}")
        columns = []
        for n, col in enumerate(raw):
            where = f"columns[{n}]"
            got = col.get("field") if isinstance(col, Mapping) else col
            if not isinstance(got, str) or got not in rows:
                raise Problem(
                    f"{where}.field", f"unknown row field {brief(got)}; use {', '.join(rows)}"
                )
            extra = set(col) - {"field", "title", "width", "align"}
            if extra:
                raise Problem(where, f"unknown keys {brief(', '.join(sorted(map(str, extra))))}")
            w = col.get("width")
            if not is_number(w) or (math.isfinite(w) and w <= 0):
                raise Problem(
                    f"{where}.width", f"width must be a positive number of mm, not {brief(w)}"
                )
            problem = range_problem("width", w, MIN_ELEMENT_MM, MAX_ELEMENT_MM)
            if problem:
                raise Problem(f"{where}.width", problem)
            align = col.get("align", "left")
            if align not in ALIGNS:
                raise Problem(
                    f"{where}.align",
                    f"align must be one of {', '.join(ALIGNS)}, not {brief(align)}",
                )
            title = col.get("title", rows[col["field"]])
            if not isinstance(title, str):
                raise Problem(f"{where}.title", f"title must be a string, not {brief(title)}")
            self.length(f"{where}.title", title, MAX_TEXT_CHARS)
            columns.append(Column(col["field"], title, float(w), align))
        total = sum(c.width for c in columns)
        if total > width + EDGE_TOLERANCE_MM:
            raise Problem("columns", f"columns are {total:g} mm wide in a {width:g} mm table")
        return tuple(columns)
