"""Templates as JSON files: export, import, and the on-disk form of the built-in templates.

The file format is one JSON object:
`{"format": "orderhub-template", "format_version": 1, "name", "kind", "width_mm",
"height_mm", "version", "elements": [...]}`. Import checks the whole template (see
`core.templates.validation`) and raises one `ValidationError` naming what is wrong, so a
bad file never reaches the database. A later DB model stores the same dict as JSON.

The file's size and its JSON nesting are checked before it is parsed
(`core.templates.limits`): Python's json module recurses, so a file nested 200,000 levels
deep must be refused by counting brackets, not by parsing it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any

from core.contracts.renderer import TemplateSpec
from core.errors import ValidationError
from core.templates.limits import (
    MAX_JSON_DEPTH,
    MAX_MEDIA_MM,
    MAX_NAME_CHARS,
    MAX_TEMPLATE_BYTES,
    MAX_TEXT_CHARS,
    MAX_VERSION,
    MIN_MEDIA_MM,
)
from core.templates.reader import brief, is_number, range_problem
from core.templates.validation import parse_layout

FORMAT = "orderhub-template"
FORMAT_VERSION = 1
_TOP_KEYS = {"format", "format_version", "name", "kind", "width_mm", "height_mm", "version"}
_TOP_KEYS |= {"elements", "description"}


def plain(value: Any) -> Any:
    """Mappings and sequences (read-only ones included) as JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(v) for v in value]
    return value


def template_to_dict(spec: TemplateSpec) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": spec.name,
        "kind": spec.kind,
        "width_mm": spec.width_mm,
        "height_mm": spec.height_mm,
        "version": spec.version,
        "elements": [plain(e) for e in spec.elements],
    }


def template_to_json(spec: TemplateSpec) -> str:
    """Pretty, UTF-8-friendly JSON (Chinese stays readable in the file)."""
    return json.dumps(template_to_dict(spec), ensure_ascii=False, indent=2) + "\n"


def template_from_dict(obj: object, *, source: str = "template") -> TemplateSpec:
    """A checked `TemplateSpec` from the exported dict; `source` names the file in errors."""
    if not isinstance(obj, Mapping):
        raise ValidationError(f"{source}: a template must be a JSON object", source=source)
    if obj.get("format") != FORMAT:
        raise ValidationError(
            f"{source}: not an orderhub template (format is {brief(obj.get('format'))}, "
            f"expected {FORMAT!r})",
            source=source,
            field="format",
        )
    if obj.get("format_version") != FORMAT_VERSION:
        raise ValidationError(
            f"{source}: format_version {brief(obj.get('format_version'))} is not supported "
            f"(this orderhub reads {FORMAT_VERSION})",
            source=source,
            field="format_version",
        )
    unknown = sorted(str(key) for key in set(obj) - _TOP_KEYS)
    if unknown:
        raise ValidationError(
            f"{source}: unknown key(s) {_cut(', '.join(unknown), 80)}",
            source=source,
            field=unknown[0][:40],
        )
    depth = nesting_depth(obj)
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(_too_deep(source, depth), source=source)
    for key in ("name", "kind", "width_mm", "height_mm", "elements"):
        if key not in obj:
            raise ValidationError(f"{source}: {key} is required", source=source, field=key)
    name = obj["name"]
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_CHARS:
        raise ValidationError(
            f"{source}: name must be a string of 1–{MAX_NAME_CHARS} characters, not {brief(name)}",
            source=source,
            field="name",
        )
    description = obj.get("description", "")
    if not isinstance(description, str):
        raise ValidationError(
            f"{source}: description must be a string", source=source, field="description"
        )
    if len(description) > MAX_TEXT_CHARS:
        raise ValidationError(
            f"{source}: description is {len(description)} characters; at most {MAX_TEXT_CHARS}",
            source=source,
            field="description",
        )
    for key in ("width_mm", "height_mm"):
        if not is_number(obj[key]):
            raise ValidationError(
                f"{source}: {key} must be a number of millimetres, not {brief(obj[key])}",
                source=source,
                field=key,
            )
        problem = range_problem(key, obj[key], MIN_MEDIA_MM, MAX_MEDIA_MM)
        if problem:
            raise ValidationError(f"{source}: {key}: {problem}", source=source, field=key)
    version = obj.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= MAX_VERSION:
        raise ValidationError(
            f"{source}: version must be a whole number from 1 to {MAX_VERSION}",
            source=source,
            field="version",
        )
    if not isinstance(obj["elements"], list):
        raise ValidationError(f"{source}: elements must be a list", source=source, field="elements")
    spec = TemplateSpec(
        name=obj["name"],
        kind=obj["kind"],
        width_mm=float(obj["width_mm"]),
        height_mm=float(obj["height_mm"]),
        elements=tuple(e if isinstance(e, Mapping) else {"type": e} for e in obj["elements"]),
        version=version,
    )
    parse_layout(spec)
    return spec


def template_from_json(text: str | bytes, *, source: str = "template") -> TemplateSpec:
    """Parse and check exported JSON; a syntax error names line and column. The text's
    size and nesting depth are checked before it is parsed."""
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "replace"))
    if size > MAX_TEMPLATE_BYTES:
        raise ValidationError(_too_big(source, size), source=source, field="template")
    if isinstance(text, bytes):
        try:
            text = text.decode(json.detect_encoding(text))
        except UnicodeDecodeError:
            raise ValidationError(f"{source}: not UTF-8 text", source=source) from None
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(_too_deep(source, depth), source=source)
    try:
        obj = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{source}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            source=source,
        ) from None
    except RecursionError:  # pragma: no cover - json_depth refuses such text first
        raise ValidationError(_too_deep(source, depth), source=source) from None
    return template_from_dict(obj, source=source)


def read_template_file(path: Path) -> bytes:
    """The bytes of a template file, read no further than the size limit allows."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_TEMPLATE_BYTES + 1)
            if len(data) > MAX_TEMPLATE_BYTES:
                size = max(path.stat().st_size, len(data))
                raise ValidationError(_too_big(str(path), size), field="template")
    except OSError as exc:
        raise ValidationError(
            f"{path}: cannot read the template file: {exc.strerror or exc}", field="template"
        ) from None
    return data


# A JSON string, escapes included; an unterminated one runs to the end of the text (so the
# pattern never scans the rest of the text again from each later quote: linear time).
# And the brackets that nest outside strings.
_STRING = re.compile(r'"(?:[^"\\]++|\\.?)*+(?:"|\Z)', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deep the arrays and objects of JSON `text` nest, without parsing it (so
    without recursion); on malformed text, an estimate that json.loads then refutes."""
    brackets = _BRACKETS.findall(_STRING.sub("", text))
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def nesting_depth(obj: object) -> int:
    """How deep the mappings and lists of `obj` nest (walked without recursion)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping):
            children: Any = value.values()
        elif isinstance(value, list | tuple):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _json_int(digits: str) -> int | float:
    """An integer literal; one too long to be a size becomes a float (Infinity past
    1e308) that the range checks refuse, instead of Python's 4,300-digit ValueError."""
    return int(digits) if len(digits) <= 300 else float(digits)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _too_deep(source: str, depth: int) -> str:
    return f"{source}: JSON nested {depth} levels deep; a template nests at most {MAX_JSON_DEPTH}"


def _too_big(source: str, size: int) -> str:
    return f"{source}: {size:,} bytes; at most {MAX_TEMPLATE_BYTES:,} bytes are accepted"
