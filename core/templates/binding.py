"""Filling a layout's bindings from render data: lookup, masking, missing-field errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.errors import ValidationError
from core.templates.elements import Binding, FieldRef
from core.templates.fields import apply_mask, as_text, lookup
from core.templates.validation import Layout


def bind(binding: Binding, data: Mapping[str, Any]) -> str:
    """The text of `binding` for `data`: literals as they are, fields looked up and masked."""
    if len(binding) == 1 and isinstance(binding[0], str):
        return binding[0]
    out = []
    for part in binding:
        if isinstance(part, FieldRef):
            out.append(apply_mask(part.mask, as_text(lookup(data, part.path))))
        else:
            out.append(part)
    return "".join(out)


def rows(data: Mapping[str, Any], field: str) -> Sequence[Mapping[str, Any]]:
    """The rows of list field `field`; each must be a mapping."""
    value = lookup(data, field)
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValidationError(f"render data field {field!r} must be a list of rows", field=field)
    for n, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise ValidationError(
                f"render data field {field!r}: row {n} must be a mapping, not {row!r}",
                field=field,
                row=n,
            )
    return value


def check_data(layout: Layout, data: Mapping[str, Any]) -> None:
    """Raise one `ValidationError` naming every field the layout reads that `data` lacks."""
    missing: list[str] = []
    for element in layout.elements:
        for path in element.fields():
            try:
                lookup(data, path)
            except ValidationError:
                if path not in missing:
                    missing.append(path)
    if missing:
        raise ValidationError(
            f"template {layout.name!r}: render data lacks field(s) {', '.join(missing)}",
            template=layout.name,
            field=missing[0],
            missing=missing,
        )
