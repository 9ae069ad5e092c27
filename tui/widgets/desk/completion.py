"""Completing the desk's filter language as it is typed: keys, then values.

`complete(text, known)` answers the whole text with its last word completed, or None.
A word without a colon completes to a key (`prov` → `province:`), a `key:` word to one of
its values — the fixed ones from `core.desk.query.choices`, or the org's shop, tag and
carrier account names and the exception reasons (`Known`, read once when the desk opens).
Inside a comma list the last item is completed (`status:pending,au` → `…,audited`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.suggester import Suggester

from core.auditing.rules import REASON_CODES
from core.desk.query import KEYS, choices


@dataclass
class Known:
    """The org's names the filter refers to, for completing values."""

    names: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key → values

    def values(self, key: str) -> tuple[str, ...]:
        if key == "exception":
            return ("yes", "no", *REASON_CODES)
        return choices(key) or self.names.get(key, ())


def complete(text: str, known: Known) -> str | None:
    head, space, word = text.rpartition(" ")
    if not word:
        return None
    sign = "-" if word.startswith("-") else ""
    body = word[len(sign) :]
    if ":" not in body:
        key = next((k for k in KEYS if k.startswith(body)), None)
        return None if key is None or not body else f"{head}{space}{sign}{key}:"
    key, _, typed = body.partition(":")
    part = typed.rpartition(",")[2]
    part_body = part.lstrip("<>=")
    for value in known.values(key):
        if value.startswith(part_body) and value != part_body:
            return text + value[len(part_body) :]
    return None


class FilterSuggester(Suggester):
    """Textual's inline suggestion over `complete` (accepted with → or Tab)."""

    def __init__(self, known: Known) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.known = known

    async def get_suggestion(self, value: str) -> str | None:
        return complete(value, self.known)
