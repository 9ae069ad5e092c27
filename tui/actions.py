"""Every action a screen offers, declared once: its key in the footer and its palette entry.

A screen (or the app) lists its actions as `ACTIONS = (ScreenAction("approve", "a",
"desk.approve", "desk.approve.help"), ...)`: one line each. `tui.screens.base` turns them
into key bindings (the footer shows them) and `ActionsProvider`, the command palette's
provider, offers every action of the active screen and of the app, filtered through the
screen's `check_action` so an action that cannot run now is not offered. Labels are
catalogue keys, translated when a screen is made (`translated`), so `--lang` is honoured
however early the screen's class was imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial

from textual.actions import parse
from textual.binding import Binding, BindingsMap
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.dom import DOMNode

from tui.i18n import has, t


@dataclass(frozen=True)
class ScreenAction:
    """One thing the operator can do on a screen: `action_<name>` of the screen (or app)."""

    name: str
    key: str | None  # None: offered in the palette only
    label: str  # catalogue key: the footer's and the palette's short label
    help: str = ""  # catalogue key: the palette's line under the label
    footer: bool = True
    priority: bool = False  # the key works even when an input has focus

    def binding(self) -> Binding:
        assert self.key is not None
        return Binding(self.key, self.name, self.label, show=self.footer, priority=self.priority)


def bindings_of(actions: Iterable[ScreenAction]) -> list[Binding]:
    return [action.binding() for action in actions if action.key]


def translated(bindings: BindingsMap) -> BindingsMap:
    """`bindings` with catalogue keys in their descriptions replaced by the messages."""
    keys = {
        key: [replace(b, description=t(b.description)) if has(b.description) else b for b in group]
        for key, group in bindings.key_to_bindings.items()
    }
    return BindingsMap.from_keys(keys)


def offered(node: DOMNode) -> Iterator[ScreenAction]:
    """The actions of `node` that may run now (its `check_action` does not refuse them)."""
    for action in getattr(node, "ACTIONS", ()):
        _, name, parameters = parse(action.name)  # "go('print')": go, ("print",)
        if node.check_action(name, parameters):
            yield action


def key_text(node: DOMNode, action: ScreenAction) -> str:
    """`  (/)`: the action's key as the footer shows it, for the palette's label."""
    if not action.key:
        return ""
    return f"  ({node.app.get_key_display(action.binding())})"


class ActionsProvider(Provider):
    """The palette's entries: the active screen's actions, then the app's."""

    def _entries(self) -> Iterator[tuple[str, str, partial[object]]]:
        for node in (self.screen, self.app):
            for action in offered(node):
                run = partial(node.run_action, action.name)
                label = t(action.label) + key_text(node, action)
                yield label, t(action.help) if action.help else "", run

    async def discover(self) -> Hits:
        for label, help_text, run in self._entries():
            yield DiscoveryHit(Content(label), run, help=help_text or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, run in self._entries():
            score = max(matcher.match(label), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(label), run, text=label, help=help_text or None)
