"""The templates orderhub ships (`core/templates/builtin/*.json`), loaded and checked once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from core.contracts.renderer import TemplateSpec
from core.errors import NotFound
from core.templates.serialization import template_from_json

BUILTIN_DIR = Path(__file__).with_name("builtin")


@cache
def builtin_templates() -> dict[str, TemplateSpec]:
    """Name → template, in file-name order."""
    out: dict[str, TemplateSpec] = {}
    for path in sorted(BUILTIN_DIR.glob("*.json")):
        spec = template_from_json(path.read_bytes(), source=f"builtin/{path.name}")
        out[spec.name] = spec
    return out


def builtin_template(name: str) -> TemplateSpec:
    """One built-in template by name; `NotFound` lists the names there are."""
    try:
        return builtin_templates()[name]
    except KeyError:
        known = ", ".join(builtin_templates())
        raise NotFound(f"no built-in template {name!r}; there are: {known}") from None
