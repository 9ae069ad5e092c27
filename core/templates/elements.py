"""The typed elements of a validated layout, which renderers draw.

A stored template (`core.contracts.renderer.TemplateSpec`) keeps its elements as plain
JSON mappings; `core.templates.validation.parse_layout` checks them and builds these frozen
dataclasses. Units: positions and sizes in millimetres from the top-left corner of the
media, font sizes in points (1 pt = 1/72 inch), line thickness in millimetres.

Text content is a `Binding`: a sequence of literal strings and `FieldRef`s. An element
whose bindings hold no `FieldRef` is *static*: it looks the same on every label, so a
renderer draws it once per template and printer and reuses the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

#: Element `type`s a template may use.
ELEMENT_TYPES = (
    "text",
    "sort_code",
    "custom_area",
    "barcode",
    "qrcode",
    "line",
    "box",
    "image",
    "items",
)
ALIGNS = ("left", "center", "right")


@dataclass(frozen=True)
class FieldRef:
    """A data field, masked as `mask` ("name", "phone", "address") or not ("")."""

    path: str
    mask: str = ""


#: Literal text and field references, concatenated when the element is drawn.
Binding = tuple[str | FieldRef, ...]


def binding_fields(binding: Binding) -> tuple[str, ...]:
    return tuple(part.path for part in binding if isinstance(part, FieldRef))


@dataclass(frozen=True, kw_only=True)
class Element:
    """What every element has: its position in the template and its bounding box (mm)."""

    type: ClassVar[str] = ""
    index: int
    x: float
    y: float
    width: float
    height: float

    @property
    def static(self) -> bool:
        """Whether the element looks the same whatever the data."""
        return not self.fields()

    def fields(self) -> tuple[str, ...]:
        """The data fields the element reads."""
        return ()


@dataclass(frozen=True, kw_only=True)
class TextElement(Element):
    """Text in a box: wrapped onto at most `max_lines` lines (0 = as many as fit), aligned,
    optionally bold or white on black (`invert`), optionally shrunk (down to 6 pt) until it
    fits. `sort_code` (三段码,
    large and bold) and `custom_area` (the merchant's free text, framed) are texts with
    other defaults."""

    type: ClassVar[str] = "text"
    content: Binding
    font_size: float = 10.0
    bold: bool = False
    max_lines: int = 0
    wrap: bool = True
    align: str = "left"
    shrink: bool = False
    line_spacing: float = 1.15
    border: bool = False
    invert: bool = False  # white text on a black block (the 收 badge)
    element_type: str = "text"

    def fields(self) -> tuple[str, ...]:
        return binding_fields(self.content)


@dataclass(frozen=True, kw_only=True)
class BarcodeElement(Element):
    """A Code 128 barcode centred in its box; `height` includes the human-readable line
    when `show_text`. The renderer picks the widest whole-dot module that fits `width`
    (quiet zones included) and is at most `max_module_mm`."""

    type: ClassVar[str] = "barcode"
    content: Binding
    show_text: bool = True
    text_size: float = 8.0
    max_module_mm: float = 0.5

    def fields(self) -> tuple[str, ...]:
        return binding_fields(self.content)


@dataclass(frozen=True, kw_only=True)
class QrElement(Element):
    """A QR code filling the square `width` × `width`, error correction `ecc` (L/M/Q/H)."""

    type: ClassVar[str] = "qrcode"
    content: Binding
    ecc: str = "M"

    def fields(self) -> tuple[str, ...]:
        return binding_fields(self.content)


@dataclass(frozen=True, kw_only=True)
class LineElement(Element):
    """A straight line from (x1, y1) to (x2, y2); the box is its bounding box."""

    type: ClassVar[str] = "line"
    x1: float
    y1: float
    x2: float
    y2: float
    thickness: float = 0.3


@dataclass(frozen=True, kw_only=True)
class BoxElement(Element):
    """A rectangle frame (or a filled block when `fill`)."""

    type: ClassVar[str] = "box"
    thickness: float = 0.3
    fill: bool = False


@dataclass(frozen=True, kw_only=True)
class ImageElement(Element):
    """A PNG/JPEG logo scaled into its box (aspect kept when `fit` is "contain")."""

    type: ClassVar[str] = "image"
    data: bytes
    fit: str = "contain"


@dataclass(frozen=True)
class Column:
    """One column of an `items` table: a row field, its heading, width (mm), alignment."""

    field: str
    title: str
    width: float
    align: str = "left"


@dataclass(frozen=True, kw_only=True)
class ItemsElement(Element):
    """A table of the rows of list field `field` (`items` or `pick_lines`).

    Rows that do not fit are summarised in a last line ("… 另有 N 项") when `overflow` is
    "truncate", or continue on further pages when it is "paginate" (packing slips, pick
    lists). `group_by` (a row field) starts a heading row whenever its value changes.
    """

    type: ClassVar[str] = "items"
    field: str
    columns: tuple[Column, ...]
    font_size: float = 9.0
    header: bool = True
    row_height: float = 0.0  # 0: from the font size
    group_by: str = ""
    overflow: str = "truncate"
    grid: bool = True

    def fields(self) -> tuple[str, ...]:
        return (self.field,)


ELEMENT_CLASSES: dict[str, type[Element]] = {
    "text": TextElement,
    "sort_code": TextElement,
    "custom_area": TextElement,
    "barcode": BarcodeElement,
    "qrcode": QrElement,
    "line": LineElement,
    "box": BoxElement,
    "image": ImageElement,
    "items": ItemsElement,
}
