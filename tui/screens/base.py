"""What every screen of orderhub shares: actions declared once, translated key bindings,
and typed access to the `OrderhubApp` (its core handle, session and error reporting).

A screen lists `ACTIONS` (`tui.actions.ScreenAction`, one line each) and writes an
`action_<name>` method per action; the footer and the command palette follow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen

from tui.actions import ScreenAction, bindings_of, translated

if TYPE_CHECKING:
    from tui.app import OrderhubApp

R = TypeVar("R")


class _Localised(DOMNode):
    ACTIONS: ClassVar[tuple[ScreenAction, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if "ACTIONS" in cls.__dict__:
            cls.BINDINGS = [*cls.__dict__.get("BINDINGS", []), *bindings_of(cls.ACTIONS)]
        super().__init_subclass__(**kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bindings = translated(self._bindings)

    @property
    def hub(self) -> OrderhubApp:
        """The running app, typed (Textual's `self.app` is any `App`)."""
        return cast("OrderhubApp", self.app)


class OrderhubScreen(_Localised, Screen[R]):
    """A full screen of orderhub."""


class OrderhubModal(_Localised, ModalScreen[R]):
    """A dialog over a screen; escape closes it without a result."""

    BINDINGS: ClassVar = [("escape", "dismiss_dialog", "app.cancel")]

    def action_dismiss_dialog(self) -> None:
        self.dismiss(None)
