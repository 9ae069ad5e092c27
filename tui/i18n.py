"""The message catalogue: every string the terminal UI shows goes through `t(key)`.

Chinese (zh-CN) is the default, English is `--lang en`. Messages live in the modules of
`tui.catalogue`, one per screen or region, each entry a `(zh, en)` pair so a message cannot
exist in one language only; a key starts with its module's name (`desk.title` lives in
`tui/catalogue/desk.py`), so two screens never fight over a key. `tests/tui/test_catalogue.py`
checks that every key used in `tui/` exists and that both texts take the same `{fields}`.

The language is one per process (the operator's choice at start-up), set by `make_app`.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Literal

from tui import catalogue

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
DEFAULT_LANGUAGE: Language = "zh"

_language: Language = DEFAULT_LANGUAGE


@cache
def entries() -> dict[str, tuple[str, str]]:
    """Every message of every catalogue module: key → (zh, en)."""
    found: dict[str, tuple[str, str]] = {}
    for info in pkgutil.iter_modules(catalogue.__path__):
        module = importlib.import_module(f"{catalogue.__name__}.{info.name}")
        for key, pair in module.MESSAGES.items():
            if key in found:
                raise ValueError(f"message key {key!r} is defined twice")
            found[key] = pair
    return found


def check_language(lang: str) -> Language:
    """`lang` as a `Language`; a ValueError naming the choices otherwise."""
    for known in LANGUAGES:
        if lang == known:
            return known
    raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")


def set_language(lang: str) -> None:
    global _language
    _language = check_language(lang)


def language() -> Language:
    return _language


def t(key: str, **values: object) -> str:
    """The message `key` in the current language, its `{fields}` filled from `values`.

    An unknown key shows as the key itself (a test keeps that from shipping) rather than
    taking the screen down.
    """
    pair = entries().get(key)
    if pair is None:
        return key
    text = pair[LANGUAGES.index(_language)]
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in entries()
