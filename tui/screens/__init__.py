"""The screens of the terminal UI, one module each; `home_screen` is where work starts.

`DESTINATIONS` are the screens an operator reaches from anywhere: each has a key (shown
in the footer, working even while an input has focus) and a command palette entry, both
made by `OrderhubApp` from this table (`go(name)`). A destination screen is made once
per session and kept while the operator works elsewhere — a print batch keeps printing
and the pack station keeps its counters — and forgotten at sign-out. Adding one is a
line here: its name, key, catalogue label and help, and `module:Class` of the screen
(imported on first use, so start-up loads none of them).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from textual.screen import Screen


@dataclass(frozen=True)
class Destination:
    name: str
    key: str
    label: str  # catalogue key of the footer's and the palette's label
    help: str  # catalogue key of the palette's line under it
    screen: str  # "package.module:Class", a screen taking no arguments

    def make(self) -> Screen[None]:
        module, _, cls = self.screen.partition(":")
        return getattr(importlib.import_module(module), cls)()  # type: ignore[no-any-return]


DESTINATIONS: tuple[Destination, ...] = (
    Destination(
        "reports", "f4", "nav.reports", "nav.reports.help", "tui.screens.reports:ReportsScreen"
    ),
    Destination("print", "f5", "nav.print", "nav.print.help", "tui.screens.printing:PrintScreen"),
    Destination("pack", "f6", "nav.pack", "nav.pack.help", "tui.screens.packing:PackScreen"),
    Destination(
        "shipping", "f7", "nav.shipping", "nav.shipping.help", "tui.screens.shipping:ShippingScreen"
    ),
    Destination("stock", "f8", "nav.stock", "nav.stock.help", "tui.screens.stock:StockScreen"),
    Destination(
        "settings", "f9", "app.settings", "app.settings.help", "tui.screens.settings:SettingsScreen"
    ),
)


def destination(name: str) -> Destination:
    for found in DESTINATIONS:
        if found.name == name:
            return found
    known = ", ".join(d.name for d in DESTINATIONS)
    raise ValueError(f"unknown screen {name!r}; choose one of {known}")


def home_screen() -> Screen[None]:
    """The screen a signed-in operator lands on: the order desk."""
    # late: tui.app imports this package for the login screen; the desk (and every widget
    # it uses) is only loaded once someone is signed in
    from tui.screens.desk import DeskScreen

    return DeskScreen()
