"""The message catalogue: both languages for every key, the same `{fields}` in both, every
key the UI uses present — literal `t("…")` calls, action labels, tabs, error codes."""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
from pathlib import Path

import pytest

import core.errors
import tui
from tui import catalogue, i18n
from tui.actions import ScreenAction

TUI = Path(tui.__file__).parent
LITERAL_KEY = re.compile(r"""\bt\(\s*f?["']([a-z0-9_.{}]+)["']""")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    for key, (zh, en) in i18n.entries().items():
        assert zh.strip() and en.strip(), key
        assert fields(zh) == fields(en), key


def test_keys_start_with_their_modules_name() -> None:
    for info in pkgutil.iter_modules(catalogue.__path__):
        module = importlib.import_module(f"tui.catalogue.{info.name}")
        for key in module.MESSAGES:
            assert key.startswith(info.name + "."), (info.name, key)


def test_every_literal_key_used_in_the_ui_exists() -> None:
    used: set[str] = set()
    for path in TUI.rglob("*.py"):
        used |= {k for k in LITERAL_KEY.findall(path.read_text()) if "{" not in k}
    assert used, "the pattern found no t() call"
    assert sorted(used - set(i18n.entries())) == []


def test_every_action_label_and_dynamic_key_exists() -> None:
    keys = set(i18n.entries())
    actions: list[ScreenAction] = []
    for path in TUI.rglob("*.py"):
        name = ".".join(path.relative_to(TUI.parent).with_suffix("").parts)
        module = importlib.import_module(name.removesuffix(".__init__"))
        for value in vars(module).values():
            if isinstance(value, type):
                actions += getattr(value, "ACTIONS", ())
            elif isinstance(value, tuple) and value and isinstance(value[0], ScreenAction):
                actions += value
    assert actions, "no ScreenAction found"
    for action in actions:
        assert action.label in keys, action
        assert not action.help or action.help in keys, action
    errors = [c for c in vars(core.errors).values() if isinstance(c, type)]
    codes = {c.code for c in errors if issubclass(c, core.errors.OrderhubError)}
    assert {f"app.error.{code}" for code in codes} <= keys


def test_t_fills_fields_in_the_chosen_language() -> None:
    try:
        i18n.set_language("en")
        assert i18n.t("desk.status.selected", count=3) == "3 selected"
        i18n.set_language("zh")
        assert i18n.t("desk.status.selected", count=3) == "已选 3 单"
        assert i18n.t("no.such.key") == "no.such.key"
    finally:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)
    with pytest.raises(ValueError, match="unknown language 'fr'; choose one of zh, en"):
        i18n.set_language("fr")
