"""The quantity push as a worker pass, and on demand (`orderhub stock push`).

`StockPushPass` is handed to the sync worker by `orderhub worker` (as ship-back's pass
is: the worker sits below this package) and runs at most every `PASS_SECONDS` for every
org that turned the push on. `push_now` is a person asking for it: it needs
`stock.adjust` (it changes what the platforms sell), names only the actor's shops
(another org's shop is not found) and is audited (`stock.push`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import select

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import Conflict, NotFound, OrderhubError
from core.models import OrgSetting, Shop
from core.stockpush.push import PushReport, run
from core.stockpush.settings import SECTION

log = logging.getLogger("orderhub.stockpush")

PASS_SECONDS = 60.0


def enabled_orgs(app: App) -> list[int]:
    """Orgs whose push is on."""
    with app.tx() as session:
        rows = session.execute(
            select(OrgSetting.org_id, OrgSetting.values).where(OrgSetting.section == SECTION)
        )
        return sorted(
            org for org, values in rows if isinstance(values, dict) and values.get("enabled")
        )


class StockPushPass:
    """Callable once per worker round; pushes at most every `PASS_SECONDS`."""

    name = "stockpush"  # in the worker registry
    exclusive = True  # one worker at a time pushes (core.workers.exclusive)

    def __init__(self, app: App, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.app, self._monotonic = app, monotonic
        self._ran_at: float | None = None

    def __call__(self) -> dict[int, PushReport]:
        now = self._monotonic()
        if self._ran_at is not None and now - self._ran_at < PASS_SECONDS:
            return {}
        self._ran_at = now
        reports = {}
        for org_id in enabled_orgs(self.app):
            try:
                report = run(self.app, org_id)
            except OrderhubError as exc:  # one org's trouble must not stop the others
                log.error("stock push for org %s failed: %s", org_id, exc)
                continue
            reports[org_id] = report
            if report.pushed or report.failed:
                log.info(
                    "库存同步: org %s: %d pushed, %d failed, %d unchanged",
                    org_id,
                    report.pushed,
                    report.failed,
                    report.unchanged,
                )
        return reports


def push_now(
    app: App, actor: Actor, *, shop_id: int | None = None, everything: bool = False
) -> PushReport:
    """Push the changed quantities of the actor's org now (of one shop with `shop_id`;
    every listing with `everything`). Refused while the push is off."""
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        if shop_id is not None:
            shop = session.get(Shop, shop_id)
            if shop is None or shop.org_id != actor.org_id:
                raise NotFound(f"no shop with id {shop_id}", field="shop")
    report = run(app, actor.org_id, shop_id=shop_id, everything=everything)
    if not report.enabled:
        raise Conflict(
            "the stock push is off for this org: turn it on with "
            "`orderhub stock push-settings --on` (needs settings.manage)"
        )
    with app.tx() as session:
        audit.record(
            session,
            "stock.push",
            actor=actor,
            target_type="shop" if shop_id is not None else "org",
            target_id=shop_id if shop_id is not None else actor.org_id,
            after={"pushed": report.pushed, "failed": report.failed, "all": everything},
        )
    return report
