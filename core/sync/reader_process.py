"""The child side of a parallel sync pass: read one window, return it as prepared rows.

Each reader process opens its own app (database, keyring, plugins) once, builds the shop's
feed (its token, refreshed like the parent's when the platform says it expired) and an
encoder for the parent's backend, and then reads the windows it is handed: every page,
the plugin's mapping, and `core.orders.rows` encoding — the CPU-heavy part of a sync — so
that the parent only writes. It never writes orders; only a token refresh touches the
database, in its own short transaction.

A reader must not outlive its parent: a worker killed with SIGKILL leaves no orphan
reading on. On Linux the kernel sends SIGKILL to the reader when its parent dies
(PR_SET_PDEATHSIG); everywhere a watchdog thread also notices the parent is gone.
"""

from __future__ import annotations

import gc
import os
import pickle
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.auditing.precheck import Precheck
from core.config import Settings
from core.contracts.platform import OrderWindow
from core.contracts.types import UnreadableOrder
from core.errors import ExternalError
from core.orders.rows import OrderEncoder
from core.runtime.processes import die_with_parent
from core.shops.tokens import platform_for
from core.startup import open_app
from core.sync.engine import ShopFeed, fetch_window


@dataclass
class ReaderSetup:
    """What a reader process needs to open: picklable, sent once per process."""

    settings: Settings
    shop_id: int
    org_id: int
    platform: str
    parent_pid: int
    #: This process's share of the platform's rate limits (1 / number of readers).
    rate_share: float = 1.0
    #: The entry point that provides the platform: a reader loads only that plugin (not
    #: the renderers, printers, …), which halves its start. None: load every plugin.
    entry_point: str | None = None
    #: The org's audit rules that need only the order, run as orders are encoded; the
    #: writer ignores verdicts of a rule set changed since (`core.auditing.precheck`).
    precheck: Precheck | None = None


_state: dict[str, Any] = {}


def start(setup: ReaderSetup) -> None:
    """Pool initializer: tie the process to its parent, then open app, feed and encoder."""
    die_with_parent(setup.parent_pid)

    app = open_app(setup.settings, load_plugins=False)
    app.plugins.load(names=None if setup.entry_point is None else (setup.entry_point,))
    platform = platform_for(app, setup.platform)
    if setup.rate_share < 1:
        platform.share_rate_limits(setup.rate_share)
    _state.update(
        app=app,
        platform=platform,
        feed=ShopFeed(app, setup.shop_id, platform),
        encoder=OrderEncoder(
            app.engine.dialect,
            app.keyring,
            org_id=setup.org_id,
            shop_id=setup.shop_id,
            source="sync",
            precheck=setup.precheck,
        ),
    )
    # The app, plugins and metadata live as long as the process: keep the collector off
    # them. Each page parsed makes ~10,000 objects, enough to trigger a collection that
    # would otherwise walk all of them again (≈ 1/6 of a reader's CPU, measured).
    gc.freeze()


def ready() -> int:
    """A no-op task: its completion says a reader is up (returns its pid)."""
    return os.getpid()


def read(
    start_at: datetime, end_at: datetime, keep: bool
) -> tuple[int, int, list[Any], list[UnreadableOrder]]:
    """(pages, sweeps, prepared orders, unreadable orders) of one window; errors come
    back picklable."""

    try:
        fetched = fetch_window(_state["feed"], OrderWindow(start_at, end_at))
        prepared = _state["encoder"].encode(fetched.orders, keep=keep)
    except BaseException as exc:  # the parent re-raises it; make sure it can travel
        raise _transportable(exc) from None
    return fetched.pages, fetched.sweeps, prepared, fetched.unreadable


def _transportable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return ExternalError(f"{type(exc).__name__}: {exc}")
    return exc
