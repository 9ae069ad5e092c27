"""Binding a shop from the terminal: the platform's authorisation URL as text and as a QR
code, then the address the browser ended on (or the bare code) to finish.

The merchant opens the URL on this machine or scans the code with a phone, approves, and
the platform redirects to `REDIRECT_URI` with `code` and `state`. The terminal may be an
SSH session with no browser and nothing listening, so the operator pastes that address
(or the code alone) here: the same path as `orderhub shop bind --redirect-uri …` then
`--callback-url …`. Finishing exchanges the code (`core.shops.binding.
complete_authorization`), a network call, in a thread.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Static

from core.clock import local_text
from core.shops.binding import AuthorizationStart, ShopInfo, complete_authorization
from tui.errors import Reported
from tui.i18n import t
from tui.screens.base import OrderhubModal
from tui.widgets.common.halfblocks import qr_lines
from tui.widgets.common.inputs import FieldInput

#: Where the platform sends the browser back. Nothing needs to answer there: the operator
#: copies the address the browser ended on. Register it with the platform's app settings.
REDIRECT_URI = "http://127.0.0.1:8765/callback"


def code_and_state(pasted: str, state: str) -> tuple[str, str]:
    """The code and state from a pasted redirect address, or a bare code with `state`."""
    text = pasted.strip()
    if "code=" in text:
        query = parse_qs(urlsplit(text).query or text.partition("?")[2] or text)
        return query.get("code", [""])[0], query.get("state", [state])[0]
    return text, state


class BindDialog(OrderhubModal[ShopInfo | None]):
    """Shows `start.url` and its QR code; answers the bound shop."""

    def __init__(self, start: AuthorizationStart) -> None:
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog bind-dialog"):
            yield Label(t("settings.bind.title"), classes="dialog-title")
            yield Static(
                t("settings.bind.open", until=local_text(self.start.expires_at)),
                classes="bind-help",
            )
            yield Static(self.start.url, id="bind-url", markup=False)
            yield Static("\n".join(qr_lines(self.start.url)), id="bind-qr", classes="picture")
            yield Label(t("settings.bind.paste"), classes="field-label")
            yield FieldInput(placeholder=t("settings.bind.paste.placeholder"), id="bind-code")
            yield Static("", id="bind-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("settings.bind.finish"), variant="primary", id="finish")
                yield Button(t("app.cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#bind-code", FieldInput).focus()

    @on(FieldInput.Submitted)
    @on(Button.Pressed, "#finish")
    def _finish(self) -> None:
        code, state = code_and_state(self.query_one("#bind-code", FieldInput).value, "")
        if not code:
            self.query_one("#bind-message", Static).update(t("settings.bind.need_code"))
            return
        state = state or self.start.state
        self.query_one("#bind-message", Static).update(t("settings.bind.exchanging"))
        self.query_one("#finish", Button).disabled = True
        hub = self.hub

        def work() -> None:
            answer = hub.attempt_from_thread(lambda: complete_authorization(hub.core, code, state))
            hub.call_from_thread(self._answered, answer)

        self.run_worker(work, thread=True, group="settings-bind", exit_on_error=False)

    def _answered(self, answer: ShopInfo | Reported) -> None:
        if isinstance(answer, ShopInfo):
            self.dismiss(answer)
            return
        self.query_one("#finish", Button).disabled = False  # refused: the app said why
        self.query_one("#bind-message", Static).update("")

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
