"""Reading one element's JSON values: typed, range-checked, with problems that name the key.

`ElementReader` holds the value readers shared by every element type; the element
builders in `core.templates.validation` use them. A reader raises `Problem` for the key at
hand; the builder records it and goes on with the next element, so an import lists every
problem at once.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from typing import Any

from core.contracts.renderer import TemplateSpec
from core.templates.elements import Binding, FieldRef
from core.templates.fields import LIST_FIELDS, MASKERS, SCALAR_FIELDS, mask_kind_for
from core.templates.limits import (
    MAX_ELEMENT_MM,
    MAX_POSITION_MM,
    MAX_TEXT_CHARS,
    MIN_ELEMENT_MM,
)

EDGE_TOLERANCE_MM = 0.01
#: Defaults that make `sort_code` and `custom_area` what they are.
TEXT_DEFAULTS: dict[str, dict[str, Any]] = {
    "text": {},
    "sort_code": {"field": "sort_code", "font_size": 28.0, "bold": True, "max_lines": 1}
    | {"align": "center", "shrink": True},
    "custom_area": {"border": True, "font_size": 9.0},
}


def is_number(value: object) -> bool:
    """An int or float from JSON (a bool is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def shown(value: float) -> str:
    """A number as a message shows it: JSON's NaN and Infinity, 1e+308, and huge ints
    without the thousands of digits (or the error `str()` raises for them)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return f"{value:g}"
    if abs(value) < 10**15:
        return str(value)
    if abs(value) < 10**300:
        return f"{value:g}"
    exponent = int(abs(value).bit_length() * math.log10(2))
    return f"{'-' if value < 0 else ''}1e+{exponent}"


def brief(value: object, width: int = 40) -> str:
    """`repr(value)`, cut to about `width` characters: a message stays one short line."""
    text = shown(value) if is_number(value) else _safe_repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _safe_repr(value: object) -> str:
    if isinstance(value, str | bytes) and len(value) > 200:
        value = value[:200]
    if isinstance(value, list | tuple | dict) and len(value) > 20:
        return f"a {type(value).__name__} of {len(value)} items"
    try:
        return repr(value)
    except (RecursionError, ValueError):
        return f"a {type(value).__name__}"


def range_problem(
    key: str, value: object, low: float, high: float, unit: str = " mm", *, zero: bool = False
) -> str:
    """Why `value` is not a number in `low`–`high` (or exactly 0 when `zero`), or ""."""
    if not is_number(value):
        return f"{key} must be a number, not {brief(value)}"
    assert isinstance(value, int | float)
    if low == 0 and math.isfinite(value) and value < 0:
        return f"{key} is negative ({shown(value)}); it must be at least 0"
    if low <= value <= high or (zero and value == 0):
        return ""
    allowed = f"0 (automatic) or {low:g}–{high:g}{unit}" if zero else f"{low:g}–{high:g}{unit}"
    return f"{shown(value)} is out of range {allowed}"


class Problem(Exception):
    """What is wrong with one key of one element."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key, self.message = key, message


class ElementReader:
    """Value readers over one element mapping `raw` of template `spec`."""

    def __init__(self, spec: TemplateSpec, index: int, raw: object) -> None:
        self.spec, self.index = spec, index
        self.raw: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        self.type = self.raw.get("type") if isinstance(self.raw.get("type"), str) else ""

    def get(self, key: str, default: Any = None) -> Any:
        defaults = TEXT_DEFAULTS.get(self.type, {})
        return self.raw.get(key, defaults.get(key, default))

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        low: float = 0.0,
        high: float = MAX_POSITION_MM,
        unit: str = " mm",
    ) -> float:
        """A number within `low`–`high` (NaN and ±Infinity are never in range)."""
        value = self.get(key, default)
        if value is None:
            raise Problem(key, f"{key} is required")
        problem = range_problem(key, value, low, high, unit)
        if problem:
            raise Problem(key, problem)
        return float(value)

    def positive(
        self,
        key: str,
        default: float | None = None,
        low: float = MIN_ELEMENT_MM,
        high: float = MAX_ELEMENT_MM,
        unit: str = " mm",
    ) -> float:
        """A number above zero within `low`–`high`; zero and below say "must be positive"."""
        value = self.get(key, default)
        if is_number(value) and math.isfinite(value) and value <= 0:
            raise Problem(key, f"{key} must be positive, got {shown(value)}")
        return self.number(key, default, low=low, high=high, unit=unit)

    def flag(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise Problem(key, f"{key} must be true or false, not {brief(value)}")
        return value

    def count(self, key: str, default: int, high: int) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Problem(key, f"{key} must be a whole number ≥ 0, not {brief(value)}")
        if value > high:
            raise Problem(key, f"{shown(value)} is out of range 0–{high}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, default)
        if value not in choices:
            raise Problem(key, f"{key} must be one of {', '.join(choices)}, not {brief(value)}")
        return value

    def box(self) -> dict[str, float]:
        """x, y, width, height, checked to lie on the media."""
        geometry = {"x": self.number("x"), "y": self.number("y")}
        geometry["width"] = self.positive("width")
        geometry["height"] = self.positive("height")
        self.on_media(geometry["x"] + geometry["width"], geometry["y"] + geometry["height"])
        return geometry

    def on_media(self, right: float, bottom: float) -> None:
        w, h = self.spec.width_mm, self.spec.height_mm
        if right > w + EDGE_TOLERANCE_MM:
            raise Problem(
                "x", f"reaches {right:g} mm, past the right edge of the {w:g} mm wide media"
            )
        if bottom > h + EDGE_TOLERANCE_MM:
            raise Problem(
                "y", f"reaches {bottom:g} mm, past the bottom edge of the {h:g} mm tall media"
            )

    def field_path(self, key: str, path: object) -> str:
        known = SCALAR_FIELDS[self.spec.kind]
        if not isinstance(path, str) or path not in known:
            hint = (
                " (a list field: use an items element)"
                if path in LIST_FIELDS[self.spec.kind]
                else ""
            )
            raise Problem(key, f"unknown field {brief(path)} for a {self.spec.kind} template{hint}")
        return path

    def binding(
        self, *, allow_format: bool = True, max_chars: int = MAX_TEXT_CHARS, max_bytes: int = 0
    ) -> Binding:
        """`field`, `text` or `format` (exactly one), masked as `mask` says; a literal
        `text` or `format` is at most `max_chars` characters (and `max_bytes` UTF-8 bytes
        when given: what a QR code holds)."""
        keys = ("field", "text", "format") if allow_format else ("field", "text")
        given = [k for k in keys if k in self.raw]
        if not given and self.get("field") is not None:
            given = ["field"]  # sort_code's default field
        if len(given) != 1:
            raise Problem("field", f"give exactly one of {', '.join(keys)} (got {len(given)})")
        key = given[0]
        value = self.get(key)
        if not isinstance(value, str):
            raise Problem(key, f"{key} must be a string, not {brief(value)}")
        if key != "field":
            self.length(key, value, max_chars, max_bytes)
        if key == "text":
            return (value,) if value else ()
        paths = [value] if key == "field" else self.format_fields(value)
        masks = self.masks(paths)
        if key == "field":
            return (FieldRef(self.field_path("field", value), masks[value]),)
        parts: list[str | FieldRef] = []
        for literal, name, _spec, _conv in string.Formatter().parse(value):
            if literal:
                parts.append(literal)
            if name is not None:
                parts.append(FieldRef(name, masks[name]))
        return tuple(parts)

    @staticmethod
    def length(key: str, text: str, max_chars: int, max_bytes: int = 0) -> None:
        if len(text) > max_chars:
            raise Problem(key, f"{key} is {len(text)} characters; at most {max_chars}")
        if max_bytes and len(text.encode()) > max_bytes:
            size = len(text.encode())
            raise Problem(key, f"{key} is {size} bytes in UTF-8; at most {max_bytes}")

    def format_fields(self, text: str) -> list[str]:
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise Problem("format", f"format {brief(text)} is malformed: {exc}") from None
        names = []
        for _literal, name, spec, conv in parsed:
            if name is None:
                continue
            if spec or conv:
                raise Problem(
                    "format", f"{{{name}}}: format specs and conversions are not supported"
                )
            names.append(self.field_path("format", name))
        return names

    def masks(self, paths: list[str]) -> dict[str, str]:
        """How each bound field is masked. `mask`: false; true (each field by its own
        kind: name, phone or address, others clear); a kind (one bound field only); or a
        list of the bound fields to mask (each by its kind)."""
        mask = self.get("mask", False)
        if mask is False:
            return dict.fromkeys(paths, "")
        if mask is True:
            kinds = {p: mask_kind_for(p) for p in paths}
            if not any(kinds.values()):
                raise Problem(
                    "mask",
                    f"cannot tell how to mask {', '.join(paths) or 'literal text'}; "
                    "set mask to name, phone or address",
                )
            return kinds
        if isinstance(mask, list):
            for path in mask:
                if path not in paths or not mask_kind_for(path):
                    raise Problem(
                        "mask", f"{brief(path)} is not a bound name, phone or address field"
                    )
            return {p: mask_kind_for(p) if p in mask else "" for p in paths}
        if not isinstance(mask, str) or mask not in MASKERS:
            raise Problem(
                "mask",
                f"mask must be true, false, a list of fields, or one of "
                f"{', '.join(MASKERS)}; not {brief(mask)}",
            )
        if len(paths) != 1:
            raise Problem(
                "mask",
                f"mask {mask!r} applies to one field; this element binds "
                f"{len(paths)} (list the fields to mask instead)",
            )
        return dict.fromkeys(paths, mask)

    # -- element builders ----------------------------------------------------------------
