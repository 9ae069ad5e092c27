""" "Overdue to ship": orders whose promised ship-by time is near or past, not shipped.

Pinduoduo fines a late shipment, so an operator must hear of it while there is time. The
check (run by the worker every minute, or `orderhub alerts run`) looks at the orders of
each org still in the workflow (待审, 已审, 已打印; not on hold — those must not ship) whose
`promised_ship_by` is within `[alerts] ship_due_hours` (default 12) or past, and raises
one alert per shop and stage for the orders it has not alerted yet:

- `order.ship_due` (warning): due within the window;
- `order.overdue` (critical): the promised time has passed.

An order is alerted at most once per stage, ever: the check writes an audit event per
order (`alert.order_ship_due` / `alert.order_overdue`, so the order's own trail shows the
warning) in the same transaction as the alert, and skips orders that have one. So an
order is told twice at most — when it becomes due and when it is late — however often
the check runs and whether or not the alert was acknowledged. The message names the shop,
the count, the earliest promised time and the first order numbers: never buyer data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit
from core.actor import Actor
from core.alerts.raising import announce, stage_alert
from core.app import App
from core.bound_lists import among
from core.contracts.types import AlertInfo
from core.models import AuditEvent, Order, Org, Shop
from core.orders import status as order_status

#: Orders looked at per org and pass; the rest wait for the next pass.
MAX_ORDERS = 5000
#: Order numbers an alert names; the count says how many more there are.
NAMED = 5
LABEL = "alerts: ship-by check"


@dataclass(frozen=True)
class Stage:
    kind: str
    severity: str
    action: str
    text: str


DUE = Stage(
    "order.ship_due",
    "warning",
    "alert.order_ship_due",
    "{n} 笔订单临近承诺发货时间 / {n} order(s) due to ship within {hours} h",
)
OVERDUE = Stage(
    "order.overdue",
    "critical",
    "alert.order_overdue",
    "{n} 笔订单已超过承诺发货时间仍未发货 / {n} order(s) past their promised ship-by time",
)


def run(app: App, *, now: datetime | None = None, org_id: int | None = None) -> list[AlertInfo]:
    """Check every org (or one); return the alerts raised (committed, hook fired)."""
    now = now or clock.now()
    hours = app.settings.alerts.ship_due_hours
    with app.tx() as session:
        orgs = [org_id] if org_id is not None else list(session.scalars(select(Org.id)))
    raised: list[AlertInfo] = []
    for org in orgs:
        with app.tx() as session:
            found = _check_org(session, org, now, hours)
        for info in found:
            announce(app, info)
        raised += found
    return raised


def _check_org(session: Session, org_id: int, now: datetime, hours: int) -> list[AlertInfo]:
    due_by = now + timedelta(hours=hours)
    rows = session.execute(
        select(Order.id, Order.shop_id, Order.platform_order_no, Order.promised_ship_by)
        .where(
            Order.org_id == org_id,
            Order.hub_status.in_(order_status.WORKFLOW),
            Order.on_hold.is_(False),
            Order.promised_ship_by.is_not(None),
            Order.promised_ship_by <= due_by,
        )
        .order_by(Order.promised_ship_by, Order.id)
        .limit(MAX_ORDERS)
    ).all()
    if not rows:
        return []
    groups: dict[tuple[int, Stage], list] = defaultdict(list)
    for row in rows:
        stage = OVERDUE if clock.as_utc(row.promised_ship_by) <= now else DUE
        groups[(row.shop_id, stage)].append(row)
    alerted = _alerted(session, org_id, [row.id for row in rows])
    shops = dict(session.execute(select(Shop.id, Shop.name).where(Shop.org_id == org_id)).all())
    actor = Actor.system(org_id, label=LABEL)
    raised = []
    for (shop_id, stage), members in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1].kind)):
        fresh = [row for row in members if (stage.action, str(row.id)) not in alerted]
        if not fresh:
            continue
        raised.append(
            stage_alert(
                session,
                org_id,
                stage.kind,
                stage.severity,
                _message(stage, shops, shop_id, fresh, hours),
            )
        )
        audit.record_each(
            session,
            stage.action,
            [("order", row.id, stage.kind, None, None) for row in fresh],
            actor=actor,
        )
    return raised


def _alerted(session: Session, org_id: int, order_ids: list[int]) -> set[tuple[str, str]]:
    """(action, order id) of the orders already alerted, at either stage."""
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.target_id).where(
            AuditEvent.org_id == org_id,
            AuditEvent.target_type == "order",
            among(AuditEvent.target_id, dialect, values=[str(i) for i in order_ids]),
            AuditEvent.action.in_((DUE.action, OVERDUE.action)),
        )
    )
    return {(action, target) for action, target in rows}


def _message(stage: Stage, shops: dict[int, str], shop_id: int, rows: list, hours: int) -> str:
    numbers = ", ".join(row.platform_order_no for row in rows[:NAMED])
    more = f" … (+{len(rows) - NAMED})" if len(rows) > NAMED else ""
    earliest = clock.local_text(min(row.promised_ship_by for row in rows))
    shop = shops.get(shop_id, f"shop {shop_id}")
    head = stage.text.format(n=len(rows), hours=hours)
    return f"店铺 {shop} (shop {shop_id}): {head}; 最早 / earliest {earliest}: {numbers}{more}"
