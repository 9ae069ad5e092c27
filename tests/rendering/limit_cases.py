"""Template elements for the limit tests: one valid element of each type, every numeric
key of each, and a way to set one of them."""

from __future__ import annotations

import io
import json
import math
from typing import Any

from PIL import Image

from core.templates import encode_image


def png(size: tuple[int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("1", size, 1).save(buffer, "PNG")
    return encode_image(buffer.getvalue())


#: One valid element of each type, on a 76×130 mm label.
VALID: dict[str, dict[str, Any]] = {
    "text": {"type": "text", "x": 1, "y": 1, "width": 20, "height": 5, "text": "a"},
    "sort_code": {"type": "sort_code", "x": 1, "y": 1, "width": 60, "height": 12},
    "custom_area": {"type": "custom_area", "x": 1, "y": 1, "width": 20, "height": 5, "text": "a"},
    "barcode": {"type": "barcode", "x": 1, "y": 1, "width": 60, "height": 12, "text": "1"},
    "qrcode": {"type": "qrcode", "x": 1, "y": 1, "size": 20, "text": "q"},
    "line": {"type": "line", "x1": 1, "y1": 1, "x2": 50, "y2": 1},
    "box": {"type": "box", "x": 1, "y": 1, "width": 20, "height": 5},
    "image": {"type": "image", "x": 1, "y": 1, "width": 20, "height": 5, "data": png((8, 8))},
    "items": {
        "type": "items",
        "x": 1,
        "y": 1,
        "width": 60,
        "height": 40,
        "columns": [{"field": "title", "width": 40}],
    },
}
_TEXT_NUMBERS = ("x", "y", "width", "height", "font_size", "line_spacing", "max_lines")
#: Every numeric key of every element type (`columns[0].width` is a column's width).
NUMERIC: dict[str, tuple[str, ...]] = {
    "text": _TEXT_NUMBERS,
    "sort_code": _TEXT_NUMBERS,
    "custom_area": _TEXT_NUMBERS,
    "barcode": ("x", "y", "width", "height", "text_size", "max_module_mm"),
    "qrcode": ("x", "y", "size"),
    "line": ("x1", "y1", "x2", "y2", "thickness"),
    "box": ("x", "y", "width", "height", "thickness"),
    "image": ("x", "y", "width", "height"),
    "items": ("x", "y", "width", "height", "font_size", "row_height", "columns[0].width"),
}
FIELDS = [(kind, key) for kind, keys in NUMERIC.items() for key in keys]
NOT_FINITE = (math.nan, math.inf, -math.inf)
HUGE = (1e308, 10**30, 1e6, 601.0)


def with_value(kind: str, key: str, value: Any) -> dict[str, Any]:
    """A copy of the valid `kind` element with `key` (`columns[0].width` too) set."""
    element = json.loads(json.dumps(VALID[kind]))
    if key.startswith("columns[0]."):
        element["columns"][0][key.split(".", 1)[1]] = value
    else:
        element[key] = value
    return element
