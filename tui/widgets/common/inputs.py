"""`FieldInput`: Textual's `Input` with the cursor blink the app asks for.

Tests and snapshots run with `cursor_blink=False` (`make_app`), so a screenshot never
catches the cursor half-way; every input of the UI is a `FieldInput` for that reason.
"""

from __future__ import annotations

from textual.widgets import Input


class FieldInput(Input):
    def on_mount(self) -> None:
        options = getattr(self.app, "options", None)
        if options is not None and not options.cursor_blink:
            self.cursor_blink = False
