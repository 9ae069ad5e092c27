"""The key line at the bottom of every screen: the keys that work where the focus is.

What Textual's `Footer` shows (the screen's active bindings marked `show`, the command
palette's key on the right, a click presses the key), drawn as one line of text. The
`Footer` mounts a widget per key and did so again at every change of focus: on the
desk, moving from the filter bar back to the table cost more than reading the new page,
so the line is only redrawn, and only when the keys it shows changed.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

SEPARATOR = "│ "
DIM = Style(dim=True)


class Key(NamedTuple):
    key: str  # what a click presses
    display: str
    description: str
    enabled: bool


class KeyBar(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar = {"key-bar--key", "key-bar--description", "key-bar--separator"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-bar--separator {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self.keys: tuple[Key, ...] = ()
        self.palette: Key | None = None
        self._spans: list[tuple[int, int, Key]] = []  # (first cell, end cell, key) as drawn

    def on_mount(self) -> None:
        # Read when the screen says its bindings changed (it does once it is ready), not
        # now: a screen's `check_action` may look for widgets still being mounted.
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        keys, palette = self._read(screen)
        if (keys, palette) != (self.keys, self.palette):
            self.keys, self.palette = keys, palette
            self.refresh()

    def _read(self, screen: Screen[object]) -> tuple[tuple[Key, ...], Key | None]:
        app = self.app
        shown: dict[str, Key] = {}  # one key per action, the first bound
        palette = None
        for key, (_node, binding, enabled, _tooltip) in screen.active_bindings.items():
            entry = Key(binding.key, app.get_key_display(binding), binding.description, enabled)
            if key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = entry
            elif binding.show and binding.action not in shown:
                shown[binding.action] = entry
        return tuple(shown.values()), palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        width = self.size.width
        right = Text()
        if self.palette is not None:
            right.append(SEPARATOR, self.get_component_rich_style("key-bar--separator"))
            right.append(self.palette.display, key_style)
            right.append(f" {self.palette.description}", text_style)
        room = max(width - right.cell_len, 0)
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, Key]] = []
        for key in self.keys:
            label = f" {key.description} " if key.description else " "
            start = line.cell_len
            end = start + cell_len(key.display) + cell_len(label)
            if end > room:
                break  # the keys that do not fit are left out whole, not cut
            line.append(key.display, key_style if key.enabled else key_style + DIM)
            line.append(label, text_style)
            spans.append((start, end, key))
        line.truncate(room, pad=True)
        if self.palette is not None:
            spans.append((room, room + right.cell_len, self.palette))
        line.append_text(right)
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                if key.enabled:
                    self.app.simulate_key(key.key)
                else:
                    self.app.bell()
                return
