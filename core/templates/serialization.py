"""Templates as JSON files: export, import, and the on-disk form of the built-in templates.

The file format is one JSON object:
`{"format": "orderhub-template", "format_version": 1, "name", "kind", "width_mm",
"height_mm", "version", "elements": [...]}`. Import checks the whole template (see
`core.templates.validation`) and raises one `ValidationError` naming what is wrong, so a
bad file never reaches the database. A later DB model stores the same dict as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from core.contracts.renderer import TemplateSpec
from core.errors import ValidationError
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
            f"{source}: not an orderhub template (format is {obj.get('format')!r}, "
            f"expected {FORMAT!r})",
            source=source,
            field="format",
        )
    if obj.get("format_version") != FORMAT_VERSION:
        raise ValidationError(
            f"{source}: format_version {obj.get('format_version')!r} is not supported "
            f"(this orderhub reads {FORMAT_VERSION})",
            source=source,
            field="format_version",
        )
    unknown = sorted(set(obj) - _TOP_KEYS)
    if unknown:
        raise ValidationError(
            f"{source}: unknown key(s) {', '.join(unknown)}", source=source, field=unknown[0]
        )
    for key in ("name", "kind", "width_mm", "height_mm", "elements"):
        if key not in obj:
            raise ValidationError(f"{source}: {key} is required", source=source, field=key)
    for key in ("width_mm", "height_mm"):
        if isinstance(obj[key], bool) or not isinstance(obj[key], int | float):
            raise ValidationError(
                f"{source}: {key} must be a number of millimetres, not {obj[key]!r}",
                source=source,
                field=key,
            )
    version = obj.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValidationError(f"{source}: version must be a whole number ≥ 1", field="version")
    if not isinstance(obj["elements"], list):
        raise ValidationError(f"{source}: elements must be a list", field="elements")
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
    """Parse and check exported JSON; a syntax error names line and column."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{source}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            source=source,
        ) from None
    except UnicodeDecodeError:
        raise ValidationError(f"{source}: not UTF-8 text", source=source) from None
    return template_from_dict(obj, source=source)
