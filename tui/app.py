"""`make_app`: the one way to build the terminal UI, shared by `orderhub tui` and the tests.

`OrderhubApp` holds the core handle (`core.app.App`, opened by `core.startup.open_app`
like the CLI's, or passed in already open by a test), the session (`tui.session`) and the
UI's options. It owns three things every screen needs:

- `attempt(call)` and `in_background(call, then)`: every service call of the UI. They check
  the session first (an expired one sends the operator to the login screen) and turn a
  failure into a notification (`tui.errors`), never a traceback;
- the first screen: the login screen without a session, else the order desk (or the
  destination named by `start`, e.g. a warehouse terminal opening on the pack station);
- the app-wide actions (quit, log out, the command palette, going to a destination of
  `tui.screens.DESTINATIONS` by its key).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar, TypeVar

from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.worker import Worker, get_current_worker

from core import clock as core_clock
from core.accounts import preferences
from core.actor import Actor
from core.app import App as CoreApp
from core.config import Settings
from core.errors import AuthenticationFailed
from core.startup import open_app
from tui import errors
from tui.actions import ActionsProvider, ScreenAction, bindings_of, translated
from tui.errors import REPORTED, Reported
from tui.i18n import DEFAULT_LANGUAGE, language, set_language, t
from tui.screens import DESTINATIONS, destination, home_screen
from tui.screens.login import LoginScreen
from tui.session import Session, session_for, sign_out

T = TypeVar("T")
STYLES = Path(__file__).parent / "styles"
MAX_NOTICES = 50
SESSION_CHECK_SECONDS = 60.0


@dataclass(frozen=True)
class Options:
    lang: str | None = None  # None: the signed-in user's choice, else Chinese
    cursor_blink: bool = True  # tests and snapshots turn it off
    log_dir: Path | None = None  # where unexpected errors are logged (tui.log)
    page_size: int = 100  # rows per page: the desk's keyset pages, the stock lists
    start: str = ""  # a destination to land on instead of the order desk


class OrderhubApp(App[None]):
    TITLE = "orderhub"
    CSS_PATH: ClassVar = sorted(STYLES.glob("*.tcss"))
    COMMANDS: ClassVar = {ActionsProvider}
    ACTIONS: ClassVar[tuple[ScreenAction, ...]] = (
        ScreenAction("home", "f2", "nav.desk", "nav.desk.help", priority=True),
        *(
            ScreenAction(f"go('{d.name}')", d.key, d.label, d.help, priority=True)
            for d in DESTINATIONS
        ),
        ScreenAction("logout", None, "app.logout", "app.logout.help"),
        ScreenAction("switch_language", None, "app.language", "app.language.help"),
        ScreenAction("quit", "ctrl+q", "app.quit", "app.quit.help", priority=True),
    )
    BINDINGS: ClassVar = [
        *bindings_of(ACTIONS),
        Binding("ctrl+p", "command_palette", "app.palette", show=False, priority=True),
        Binding("ctrl+c", "quit", show=False),
    ]

    def __init__(
        self, core: CoreApp, session: Session | None, options: Options, *, owns_core: bool
    ) -> None:
        set_language(options.lang or _chosen_language(core, session) or DEFAULT_LANGUAGE)
        super().__init__()
        self._untranslated = self._bindings
        self._bindings = translated(self._untranslated)
        self.core = core
        self.session = session
        self.options = options
        self.notices: list[errors.Notice] = []  # newest last; the operator's message history
        self._owns_core = owns_core
        self.title = t("app.title")

    # ------------------------------------------------------------ screens

    def on_mount(self) -> None:
        self.set_interval(SESSION_CHECK_SECONDS, self.check_session)
        if self.session is None:
            self.push_screen(LoginScreen())
        else:
            self.push_screen(self._home())
        self.call_after_refresh(freeze_start_up)

    def on_unmount(self) -> None:
        if self._owns_core:
            self.core.close()

    def signed_in(self, session: Session) -> None:
        """The login screen's success: the home screen replaces it, in the language the
        user chose unless `--lang` said otherwise."""
        self.session = session
        chosen = None if self.options.lang else _chosen_language(self.core, session)
        if chosen and chosen != language():
            self._speak(chosen)
        self.switch_screen(self._home())

    def action_switch_language(self) -> None:
        """Chinese ⇄ English, kept as the user's choice: the screens are made again in it
        (what they were showing is read again; a half-typed form is lost)."""
        session = self.session
        new = "en" if language() == "zh" else "zh"
        if session is not None and session.actor.user_id is not None:
            saved = self.attempt(lambda: preferences.set_language(self.core, session.actor, new))
            if isinstance(saved, Reported):
                return
        self._speak(new)
        self.title = t("app.title")
        if session is None:
            self.switch_screen(LoginScreen())
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        # A new home, not `_home()`: a destination home (`start`) is installed and on the
        # stack, so `_home()` would answer the screen made in the old language.
        start = self.options.start
        fresh = destination(start).make() if start else home_screen()
        self.switch_screen(fresh)
        self._forget_destinations(keep=None)  # the old home too, now off the stack
        if start:
            self.install_screen(fresh, start)

    def _speak(self, lang: str) -> None:
        set_language(lang)
        self._bindings = translated(self._untranslated)

    def _home(self) -> Screen[None]:
        return self.destination_screen(self.options.start) if self.options.start else home_screen()

    def destination_screen(self, name: str) -> Screen[None]:
        """The session's screen of destination `name`, made on first use and kept."""
        if not self.is_screen_installed(name):
            self.install_screen(destination(name).make(), name)
        return self.get_screen(name)

    def action_go(self, name: str) -> None:
        """Show destination `name`: back to it when it is open, else over the home screen."""
        if self.session is None:
            return
        screen = self.destination_screen(name)
        if screen in self.screen_stack:
            while self.screen is not screen:
                self.pop_screen()
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.push_screen(screen)

    def action_home(self) -> None:
        """Back to the order desk; the destination screens stay as they were."""
        if self.session is None:
            return
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def check_session(self) -> None:
        """An idle screen ends with its session too: ask the core every minute."""
        if self.session is not None and self.session.token is not None:
            self.in_background(lambda: None, lambda _: None, group="session")

    def action_logout(self) -> None:
        session = self.session
        if session is not None:
            self.attempt(lambda: sign_out(self.core, session), check_session=False)
        self._back_to_login(LoginScreen())

    def session_expired(self) -> None:
        self._back_to_login(LoginScreen(notice=t("app.session_expired")))

    def _back_to_login(self, screen: LoginScreen) -> None:
        self.session = None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(screen)
        self._forget_destinations(keep=screen)  # the next user starts afresh

    def _forget_destinations(self, keep: Screen[object] | None) -> None:
        """Drop the destination screens kept between visits (not `keep`, nor one shown)."""
        for name in (d.name for d in DESTINATIONS):
            if self.is_screen_installed(name) and self.get_screen(name) is not keep:
                kept = self.get_screen(name)
                if kept not in self.screen_stack:
                    self.uninstall_screen(name)
                    kept.remove()

    def action_command_palette(self) -> None:
        """Textual's palette, its prompt in the UI's language."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            palette = CommandPalette(placeholder=t("app.palette.placeholder"))
            self.push_screen(palette)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "logout":
            return self.session is not None and self.session.token is not None
        if action in ("go", "home"):
            return self.session is not None
        return True

    # ------------------------------------------------------------ service calls

    @property
    def actor(self) -> Actor:
        if self.session is None:
            raise AuthenticationFailed(t("app.session_expired"))
        return self.session.actor

    def attempt(self, call: Callable[[], T], *, check_session: bool = True) -> T | Reported:
        """Run `call` (a service call) now; a failure is reported and `REPORTED` returned."""
        session = self.session if check_session else None
        try:
            return self._checked(call, session)
        except Exception as exc:
            self._failed(exc, session)
        return REPORTED

    def in_background(
        self,
        call: Callable[[], T],
        then: Callable[[T], None],
        *,
        group: str,
        exclusive: bool = True,
        failed: Callable[[], None] | None = None,
    ) -> Worker[None]:
        """Run `call` in a thread, then `then(answer)` on the event loop — or, when it
        failed (the failure is reported), `failed()`, so a screen waiting for it can let
        go. In an `exclusive` group the newest call wins: an older one still running
        delivers nothing (a page read for the tab the operator just left must not
        overwrite the new tab's)."""

        def work() -> None:
            worker = get_current_worker()
            answer = self.attempt_from_thread(call)
            if worker.is_cancelled:
                return
            if not isinstance(answer, Reported):
                self.call_from_thread(then, answer)
            elif failed is not None:
                self.call_from_thread(failed)

        return self.run_worker(
            work, group=group, exclusive=exclusive, thread=True, exit_on_error=False
        )

    def attempt_from_thread(self, call: Callable[[], T]) -> T | Reported:
        """`attempt` for a worker thread: the failure is reported on the event loop."""
        session = self.session
        try:
            return self._checked(call, session)
        except Exception as exc:
            self.call_from_thread(self._failed, exc, session)
        return REPORTED

    def _checked(self, call: Callable[[], T], session: Session | None) -> T:
        if session is not None:
            session.check(self.core)
        return call()

    def _failed(self, exc: Exception, session: Session | None) -> None:
        """A signed-in session the core no longer accepts ends (once, however many calls
        found out); any other failure is reported."""
        if isinstance(exc, AuthenticationFailed) and session is not None and session.token:
            if self.session is session:
                self.session_expired()
            return
        self.report(exc)

    def report(self, exc: BaseException) -> None:
        """Tell the operator what went wrong (`tui.errors`): a notification, no traceback."""
        self.tell(errors.describe(exc, self.options.log_dir))

    def tell(self, notice: errors.Notice) -> None:
        self.notices = [*self.notices[-(MAX_NOTICES - 1) :], notice]
        self.notify(notice.message, title=notice.title, severity=notice.severity)

    def inform(self, message: str, title: str = "") -> None:
        """A success or information notice."""
        self.tell(errors.Notice(title, message, "information"))


def _chosen_language(core: CoreApp, session: Session | None) -> str | None:
    """The signed-in user's language (`core.accounts.preferences`), if they chose one."""
    if session is None:
        return None
    return preferences.language_of(core, session.actor)


def freeze_start_up() -> None:
    """Leave what start-up built (modules, the ORM's mappings, the first screen) out of
    the garbage collector's full passes, once per process. Otherwise every full pass walks
    those objects again: 85–120 ms each on the development VM, felt as a stalled key
    press every few seconds of scrolling; with them frozen a full pass takes under 10 ms.
    What start-up built lives as long as the process anyway."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


_frozen = False


def make_app(
    settings: Settings | None,
    actor: Actor | None,
    *,
    lang: str | None = None,
    core: CoreApp | None = None,
    clock: Callable[[], datetime] | None = None,
    session_token: str | None = None,
    cursor_blink: bool = True,
    page_size: int = 100,
    start: str | None = None,
) -> OrderhubApp:
    """The terminal UI over `core` (opened from `settings` when not given).

    `actor`: who is working — None shows the login screen first. `lang`: zh or en; None
    speaks the language the signed-in user chose (Chinese until they choose). `clock`
    replaces core's
    clock (`core.clock.set_clock`; tests freeze it). `session_token`: the token of a
    sign-in, checked before each action. `start`: a destination (`tui.screens.DESTINATIONS`)
    to land on instead of the order desk.
    """
    if start:
        destination(start)  # an unknown name fails here, before anything opens
    owns = core is None
    if core is None:
        core = open_app(settings)
    if clock is not None:
        core_clock.set_clock(clock)
    log_dir = core.settings.data_dir
    errors.install_log(log_dir)
    options = Options(lang, cursor_blink, log_dir, page_size, start or "")
    session = session_for(core, actor, session_token) if actor is not None else None
    return OrderhubApp(core, session, options, owns_core=owns)
