"""The login screen: user name and password, then the TOTP code when the account has one.

The check is `core.accounts.auth.login` (through `tui.session.sign_in`), run in a thread
because argon2 takes a moment. Its answers are shown in the form, not as toasts: the one
answer to a wrong name, password or code — and to a locked account, which the core does
not tell apart from a wrong password — says when the account locks and for how long;
`SecondFactorRequired` opens the code field; anything else (a disabled account) is the
core's message. A session that expired comes back here with a notice (`OrderhubApp`).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import Button, Label, Static

from core.accounts.auth import GENERIC_FAILURE
from core.errors import AuthenticationFailed, SecondFactorRequired
from tui.actions import ScreenAction
from tui.errors import describe
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.session import sign_in
from tui.widgets.common.inputs import FieldInput
from tui.widgets.common.key_bar import KeyBar


class LoginScreen(OrderhubScreen[None]):
    ACTIONS: ClassVar = (ScreenAction("sign_in", None, "login.submit", "login.submit.help"),)

    def __init__(self, notice: str = "") -> None:
        super().__init__()
        self._notice = notice

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="login-box"):
            yield Static(t("app.title"), id="login-brand")
            yield Label(t("login.title"), id="login-title")
            yield Label(t("login.username"), classes="field-label")
            yield FieldInput(id="username")
            yield Label(t("login.password"), classes="field-label")
            yield FieldInput(id="password", password=True)
            yield Label(t("login.code"), classes="field-label code-part")
            yield FieldInput(
                id="code",
                placeholder=t("login.code.placeholder"),
                max_length=6,
                restrict=r"[0-9]*",
                classes="code-part",
            )
            yield Static(self._notice, id="login-message")
            yield Button(t("login.submit"), id="login-submit", variant="primary")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#username", FieldInput).focus()
        if self._notice:
            self.query_one("#login-message").add_class("warning")

    @property
    def asks_code(self) -> bool:
        return self.has_class("with-code")

    @on(FieldInput.Submitted)
    def _next_field(self, event: FieldInput.Submitted) -> None:
        if event.input.id == "username":
            self.query_one("#password", FieldInput).focus()
        elif event.input.id == "password" and self.asks_code:
            self.query_one("#code", FieldInput).focus()
        else:
            self.action_sign_in()

    @on(Button.Pressed, "#login-submit")
    def _pressed(self) -> None:
        self.action_sign_in()

    def action_sign_in(self) -> None:
        username = self.query_one("#username", FieldInput).value.strip()
        password = self.query_one("#password", FieldInput).value
        if not username or not password:
            self._say(t("login.missing"), "error")
            return
        code = self.query_one("#code", FieldInput).value.strip() if self.asks_code else None
        self._say(t("login.checking"), "")
        self.query_one("#login-submit", Button).disabled = True
        self._check(username, password, code)

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def _check(self, username: str, password: str, code: str | None) -> None:
        try:
            session = sign_in(self.hub.core, username, password, code)
        except SecondFactorRequired:
            self.app.call_from_thread(self._ask_code)
        except AuthenticationFailed as exc:
            self.app.call_from_thread(self._refused, exc)
        except Exception as exc:
            self.app.call_from_thread(self._failed, exc)
        else:
            self.app.call_from_thread(self.hub.signed_in, session)

    def _ask_code(self) -> None:
        self.add_class("with-code")
        self._ready()
        self._say(t("login.need_code"), "warning")
        self.query_one("#code", FieldInput).focus()

    def _refused(self, exc: AuthenticationFailed) -> None:
        self._ready()
        self.query_one("#password", FieldInput).value = ""
        self.query_one("#code", FieldInput).value = ""
        if exc.message.startswith(GENERIC_FAILURE):
            rules = self.hub.core.settings.auth
            message = t(
                "login.failed", threshold=rules.lockout_threshold, minutes=rules.lockout_minutes
            )
        else:
            message = exc.message
        self._say(message, "error")
        self.query_one("#password", FieldInput).focus()

    def _failed(self, exc: Exception) -> None:
        self._ready()
        notice = describe(exc, self.hub.options.log_dir)
        self._say(f"{notice.title}: {notice.message}", "error")

    def _ready(self) -> None:
        self.query_one("#login-submit", Button).disabled = False

    def _say(self, text: str, kind: str) -> None:
        message = self.query_one("#login-message", Static)
        message.update(text)
        message.set_classes(kind)
