"""Forgetting old idempotency keys, as a worker pass.

Keys answer retries for `TTL` (24 h); after that they are only rows. `PurgePass` is handed
to `orderhub worker` beside the ship-back and stock-push passes and deletes expired keys
at most once an hour; it is idempotent, so two workers running it at once would only
delete the same rows, but it is marked exclusive like the other housekeeping passes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from core.app import App
from core.idempotency.service import purge

log = logging.getLogger("orderhub.idempotency")

PASS_SECONDS = 3600.0


class PurgePass:
    """Callable once per worker round; purges at most every `PASS_SECONDS`."""

    name = "idempotency-purge"  # in the worker registry
    exclusive = True

    def __init__(self, app: App, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.app, self._monotonic = app, monotonic
        self._ran_at: float | None = None

    def __call__(self) -> int:
        now = self._monotonic()
        if self._ran_at is not None and now - self._ran_at < PASS_SECONDS:
            return 0
        self._ran_at = now
        removed = purge(self.app)
        if removed:
            log.info("forgot %d idempotency key(s) older than a day", removed)
        return removed
