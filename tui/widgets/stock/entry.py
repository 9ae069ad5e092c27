"""What an operator types in the stock dialogs, read into what the services take: a
quantity, and a mapping's parts (`CUP-R LID*2`). A bad entry is a `ValidationError` whose
message, in the UI's language, names the field and what was typed; the app reports it
like any refusal of the core (`tui.errors`).
"""

from __future__ import annotations

import re

from core.errors import ValidationError
from core.stock.mapping import Part
from tui.i18n import t

#: Parts are separated by spaces, commas (Chinese ones too) or "+".
PART_SEPARATORS = re.compile(r"[\s,，、+]+")
#: CODE, CODE*QTY or CODE×QTY.
PART = re.compile(r"^(?P<code>[^*×]+?)(?:\s*[*×]\s*(?P<qty>\d+))?$")


def required(text: str, field: str) -> str:
    """`text` stripped; a ValidationError naming `field` (a catalogue key) when empty."""
    value = text.strip()
    if not value:
        raise ValidationError(t("stock.missing", field=t(field)), field=field)
    return value


def quantity(text: str, field: str) -> int:
    """A whole number typed in `field` (a catalogue key). The service checks its range
    (a receipt 1 or more, a count 0 or more) and says so in its own words."""
    value = required(text, field)
    if not (value.isascii() and value.isdigit()):
        raise ValidationError(t("stock.bad_quantity", field=t(field), value=value), field=field)
    return int(value)


def parts(text: str) -> list[Part]:
    """`CUP-R LID*2`: merchant SKU codes, each with an optional quantity (1 by default)."""
    tokens = [token for token in PART_SEPARATORS.split(text.strip()) if token]
    if not tokens:
        required("", "stock.field.parts")
    found = []
    for number, token in enumerate(tokens, start=1):
        match = PART.match(token)
        if match is None:
            message = t("stock.bad_part", number=number, text=token)
            raise ValidationError(message, field="parts", row=number)
        found.append(Part(match["code"], int(match["qty"] or 1)))
    return found


def parts_text(found: tuple[Part, ...] | list[Part]) -> str:
    return " + ".join(f"{p.code}×{p.quantity}" for p in found)
