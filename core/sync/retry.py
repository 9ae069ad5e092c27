"""Quarantined orders tried again: each pass asks the platform for a few of them by detail.

A window's unreadable orders are quarantined with it (`core.orders.quarantine`) and the
cursor moves past them, so a window alone would read such an order again only if the
platform updated it. The usual cure is on our side (a mapping fixed by an upgrade), so at
the end of each scheduled or manual pass that stored its windows, up to `RETRY_PER_PASS`
of the shop's quarantined orders (least retried first) are asked for through
`order_detail`: one that maps is stored (an upsert: never backwards, invariant 1) and its
quarantine row deleted in one transaction fenced by the lease; one that still does not
map counts a retry. A retry never fails the pass: the order stays quarantined and its
alert stands.
"""

from __future__ import annotations

import logging

from core.app import App
from core.auditing.arrival import orders_arrived
from core.errors import AuthenticationFailed, ExternalError, ValidationError
from core.orders import quarantine
from core.orders import store as order_store
from core.sync import lease as leases
from core.sync.engine import ShopFeed, emit_synced

log = logging.getLogger("orderhub.sync")

#: Quarantined orders asked for by detail at most per pass (one platform call each).
RETRY_PER_PASS = 20


def retry_quarantined(
    app: App, lease: leases.Lease, feed: ShopFeed, *, org_id: int
) -> tuple[leases.Lease, int]:
    """Try the shop's quarantined orders again; (the lease, how many were stored).
    Raises `LeaseLost` (nothing more written) when another worker holds the shop now."""
    with app.tx() as session:
        numbers = quarantine.due_for_retry(session, lease.shop_id, RETRY_PER_PASS)
    stored = 0
    for number in numbers:
        try:
            order = feed.detail(number)
            if order.order_number != number:
                raise ValidationError(
                    f"the platform answered order {order.order_number} when asked for {number}"
                )
        except ValidationError as exc:  # still unreadable
            with app.tx() as session:
                lease = leases.renew(session, lease, app.settings.sync.lease_seconds)
                quarantine.note_retry(session, lease.shop_id, number, exc.message)
            continue
        except (AuthenticationFailed, ExternalError) as exc:  # the platform, not the order
            log.warning("shop %s: quarantined orders not retried this pass: %s", feed.shop_id, exc)
            break
        except Exception:  # a plugin's bug: keep the order quarantined, go on
            log.exception("shop %s: retrying quarantined order %s failed", feed.shop_id, number)
            with app.tx() as session:
                lease = leases.renew(session, lease, app.settings.sync.lease_seconds)
                quarantine.note_retry(session, lease.shop_id, number, None)
            continue
        with app.tx() as session:
            lease = leases.renew(session, lease, app.settings.sync.lease_seconds)
            encoder = order_store.encoder_for(
                session, app.keyring, org_id=org_id, shop_id=lease.shop_id, source="sync"
            )
            result = order_store.write_prepared(session, encoder, encoder.encode([order]))
            orders_arrived(session, org_id, result.stored.values())
            quarantine.clear(session, lease.shop_id, number)
        stored += 1
        log.info("shop %s: quarantined order %s read at last and stored", feed.shop_id, number)
        if result.stored:
            emit_synced(app, org_id, lease.shop_id, [order], result)
    return lease, stored


__all__ = ["RETRY_PER_PASS", "retry_quarantined"]
