"""One push of an org's available quantities to its shops' platforms.

For each listing (`core.stockpush.listings`) of the shops the settings cover:

- its merchant SKUs come from the mapping (`core.stock.mapping.components`: a mapping set
  by hand, else the merchant code); a listing that maps to nothing is left alone;
- its quantity is what can be sold now: for one SKU its available stock (on hand −
  reserved, summed over every warehouse or the one the settings name), for a bundle the
  least over its parts of ⌊available / quantity per bundle⌋;
- it is pushed only when that differs from what was last pushed successfully
  (`pushed_quantity`), or with `everything`. A failed push leaves `pushed_quantity` as it
  was, so the next pass tries again and no change is lost; its error and the count of
  failures are kept on the listing.

Calls go through the shop's platform plugin (`SalesPlatform.update_quantity`, skipped for
platforms without `SUPPORTS_QUANTITY_PUSH`), with its token refreshed when it expired
(`core.shops.calls.ShopCalls`) and its own per-shop rate limit (the plugin's client-side
bucket). A throttled or unreachable platform, or a token the merchant must renew, ends
that shop's part of the pass; a refusal of one SKU (unknown goods) is recorded and the
pass goes on. Results are written every `RECORD_EVERY` calls, so a killed worker repeats
at most those (harmless: a full update of the same figure); two workers running the pass
at the same moment may likewise both push one change. A shop whose pushes fail raises the
warning `stock.push_failed` once while it is open.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import clock
from core.alerts.once import raise_once
from core.app import App
from core.contracts.platform import QuantityUpdate, SalesPlatform
from core.errors import AuthenticationFailed, OrderhubError, PluginError
from core.models import PlatformListing, Shop, StockLevel
from core.shops.calls import ShopCalls
from core.shops.tokens import using_platform
from core.stock.mapping import LineKey, components
from core.stock.warehouses import warehouse_named
from core.stockpush.listings import discover
from core.stockpush.settings import PushSettings, load

log = logging.getLogger("orderhub.stockpush")

FAILED_KIND = "stock.push_failed"
RECORD_EVERY = 100


@dataclass
class PushReport:
    enabled: bool = True
    discovered: int = 0  # listings learnt from new order lines
    pushed: int = 0
    unchanged: int = 0
    unmapped: int = 0
    failed: int = 0
    skipped: list[str] = field(default_factory=list)  # shops not pushed to, and why
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    listing_id: int
    update: QuantityUpdate


@dataclass(frozen=True)
class _ShopPlan:
    shop_id: int
    name: str
    platform: str
    due: tuple[_Due, ...]


def run(
    app: App, org_id: int, *, shop_id: int | None = None, everything: bool = False
) -> PushReport:
    """Push what changed for the org (or one of its shops); nothing when the push is off."""
    report = PushReport()
    with app.tx() as session:
        settings = load(session, org_id)
        if not settings.enabled:
            return PushReport(enabled=False)
        report.discovered = discover(session, org_id)
        plans = _plan(session, org_id, settings, shop_id, everything, report)
    for plan in plans:
        _push_shop(app, org_id, plan, report)
    return report


def _plan(
    session: Session,
    org_id: int,
    settings: PushSettings,
    only: int | None,
    everything: bool,
    report: PushReport,
) -> list[_ShopPlan]:
    shops = [
        (shop_id, name, platform)
        for shop_id, name, platform in session.execute(
            select(Shop.id, Shop.name, Shop.platform)
            .where(Shop.org_id == org_id, Shop.status != "unbound")
            .order_by(Shop.id)
        )
        if settings.covers(shop_id) and (only is None or shop_id == only)
    ]
    platforms = {shop_id: platform for shop_id, _, platform in shops}
    listings = list(
        session.scalars(
            select(PlatformListing)
            .where(PlatformListing.org_id == org_id, PlatformListing.shop_id.in_(list(platforms)))
            .order_by(PlatformListing.id)
        )
    )
    keys = {
        listing.id: LineKey(platforms[listing.shop_id], listing.platform_sku_id, listing.outer_id)
        for listing in listings
    }
    parts = components(session, org_id, keys.values())
    available = _available(
        session, org_id, settings, {sku for p in parts.values() for sku, _ in p or ()}
    )
    due: dict[int, list[_Due]] = defaultdict(list)
    for listing in listings:
        mapped = parts[keys[listing.id]]
        if mapped is None:
            report.unmapped += 1
            continue
        quantity = min(max(0, available.get(sku, 0)) // per for sku, per in mapped)
        if not everything and quantity == listing.pushed_quantity:
            report.unchanged += 1
            continue
        update = QuantityUpdate(
            listing.goods_id, listing.platform_sku_id, quantity, outer_id=listing.outer_id
        )
        due[listing.shop_id].append(_Due(listing.id, update))
    return [
        _ShopPlan(shop_id, name, platform, tuple(due[shop_id]))
        for shop_id, name, platform in shops
        if due[shop_id]
    ]


def _available(
    session: Session, org_id: int, settings: PushSettings, sku_ids: set[int]
) -> dict[int, int]:
    """Available stock (on hand − reserved) of `sku_ids`, over the warehouse(s) that count."""
    if not sku_ids:
        return {}
    query = (
        select(StockLevel.sku_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
        .where(StockLevel.org_id == org_id, StockLevel.sku_id.in_(sorted(sku_ids)))
        .group_by(StockLevel.sku_id)
    )
    if settings.warehouse is not None:
        house = warehouse_named(session, org_id, settings.warehouse)
        query = query.where(StockLevel.warehouse_id == house.id)
    return {sku: int(units or 0) for sku, units in session.execute(query)}


def _push_shop(app: App, org_id: int, plan: _ShopPlan, report: PushReport) -> None:
    label = f"shop {plan.name} ({plan.shop_id})"
    cls = app.plugins.platforms().get(plan.platform)
    if cls is None or not getattr(cls, "SUPPORTS_QUANTITY_PUSH", False):
        report.skipped.append(f"{label}: platform {plan.platform!r} takes no quantity pushes")
        return
    results: list[tuple[_Due, OrderhubError | None]] = []
    stop: OrderhubError | None = None
    last: OrderhubError | None = None
    with using_platform(app, plan.platform) as platform:
        try:
            calls = ShopCalls(app, plan.shop_id, platform)
        except OrderhubError as exc:
            report.skipped.append(f"{label}: {exc.message}")
            _alert(app, org_id, plan, exc)
            return
        for item in plan.due:
            error = _send(calls, platform, item.update)
            results.append((item, error))
            last = error or last
            if len(results) >= RECORD_EVERY:
                _record(app, results, report)
                results = []
            if error is not None and (
                getattr(error, "retryable", False) or isinstance(error, AuthenticationFailed)
            ):
                stop = error  # throttled, down, or the token: the rest waits for a later pass
                break
    _record(app, results, report)
    if stop is not None:
        report.skipped.append(f"{label}: stopped after {stop.message}")
    if last is not None:
        _alert(app, org_id, plan, last)


def _send(
    calls: ShopCalls, platform: SalesPlatform, update: QuantityUpdate
) -> OrderhubError | None:
    try:
        calls.call(lambda token: platform.update_quantity(token, update))
    except OrderhubError as exc:
        return exc
    except Exception as exc:  # third-party plugin code: any failure is the plugin's
        return PluginError(f"{type(exc).__name__}: {exc}", plugin=platform.name)
    return None


def _record(app: App, results: list[tuple[_Due, OrderhubError | None]], report: PushReport) -> None:
    if not results:
        return
    now = clock.now()
    with app.tx() as session:
        for item, error in results:
            listing = session.get(PlatformListing, item.listing_id)
            if listing is None:  # its shop was deleted meanwhile
                continue
            if error is None:
                listing.pushed_quantity, listing.pushed_at = item.update.quantity, now
                listing.failures, listing.last_error = 0, ""
                report.pushed += 1
            else:
                listing.failures += 1
                listing.last_error = error.message[:255]
                report.failed += 1
                shop = f"shop {listing.shop_id}"
                report.errors.append(f"{shop}: SKU {listing.platform_sku_id}: {error.message}")
                log.warning("stock push to %s failed: %s", shop, error.message)


def _alert(app: App, org_id: int, plan: _ShopPlan, error: OrderhubError) -> None:
    why = error.message
    raise_once(
        app,
        org_id,
        FAILED_KIND,
        f"shop {plan.shop_id}",
        "warning",
        f"库存同步到平台失败 / stock push to {plan.name} failed (retried at the next pass): {why}"[
            :1000
        ],
    )
