"""The screens of the terminal UI, one module each; `home_screen` is where work starts."""

from __future__ import annotations

from textual.screen import Screen


def home_screen() -> Screen[None]:
    """The screen a signed-in operator lands on: the order desk."""
    # late: tui.app imports this package for the login screen; the desk (and every widget
    # it uses) is only loaded once someone is signed in
    from tui.screens.desk import DeskScreen

    return DeskScreen()
