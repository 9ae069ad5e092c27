"""Every hook orderhub offers plugins, in one place (datasette's and pytest's pattern).

Plugins mark implementations with `hookimpl` (`from core.hookspecs import hookimpl`) and
may implement any subset of hooks, taking any subset of a hook's arguments — so new
arguments can be added later without breaking old plugins. A plugin implementing a hook
not listed here is refused when it loads (a typo would otherwise be silently ignored).

Registration hooks return plain classes that implement a contract from `core.contracts`;
the classes do the work. Event hooks are called after core has committed the change they
describe; their return values are ignored, and a plugin that raises is logged and skipped
without undoing anything or stopping other plugins. No hook is `firstresult` yet: that is
kept for hooks that pick one answer, and none of today's hooks does.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from core.contracts import (
        AlertInfo,
        Carrier,
        ImportFormat,
        Notifier,
        PlatformOrder,
        PrinterDriver,
        Renderer,
        SalesPlatform,
    )

PROJECT = "orderhub"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# ----------------------------------------------------------------------------------------
# Registration: return a list of contract classes (empty list or no impl = none)
# ----------------------------------------------------------------------------------------


@hookspec
def register_platforms() -> list[type[SalesPlatform]]:
    """Return `SalesPlatform` subclasses (marketplaces orders are synced from)."""


@hookspec
def register_carriers() -> list[type[Carrier]]:
    """Return `Carrier` subclasses (e-waybill sources)."""


@hookspec
def register_printer_drivers() -> list[type[PrinterDriver]]:
    """Return `PrinterDriver` subclasses (transports that send bytes to printers)."""


@hookspec
def register_renderers() -> list[type[Renderer]]:
    """Return `Renderer` subclasses (template + data → bytes in a document language)."""


@hookspec
def register_notifiers() -> list[type[Notifier]]:
    """Return `Notifier` subclasses (channels that deliver messages to people)."""


@hookspec
def register_import_formats() -> list[type[ImportFormat]]:
    """Return `ImportFormat` subclasses (file formats orders can be imported from)."""


# ----------------------------------------------------------------------------------------
# Orders and shipping events: called after commit; return value ignored
# ----------------------------------------------------------------------------------------


@hookspec
def order_synced(
    org_id: int, shop_id: int, order_id: int, order: PlatformOrder, created: bool
) -> None:
    """React to an order stored from a platform or import (`created` False for an update)."""


@hookspec
def package_shipped(
    org_id: int,
    package_id: int,
    order_ids: tuple[int, ...],
    carrier_code: str,
    tracking_number: str,
    shipped_at: datetime,
) -> None:
    """React to a package marked shipped (`shipped_at` aware UTC); before platform confirm."""


# ----------------------------------------------------------------------------------------
# Printing events: called after commit; return value ignored
# ----------------------------------------------------------------------------------------


@hookspec
def print_job_progress(
    org_id: int, job_id: int, state: str, done: int, failed: int, total: int
) -> None:
    """React to a print job's progress (`state`: queued, running, done, failed, paused)."""


# ----------------------------------------------------------------------------------------
# Operations and accounts events: called after commit; return value ignored
# ----------------------------------------------------------------------------------------


@hookspec
def alert_raised(alert: AlertInfo) -> None:
    """React to a stored operator alert (forward it to chat, paging, e-mail …)."""


@hookspec
def user_logged_in(org_id: int, user_id: int, username: str, method: str) -> None:
    """React to a successful login (`method`: password, token)."""
