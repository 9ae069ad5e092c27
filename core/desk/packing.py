"""合单 / 拆单 at the desk: merging, splitting, unmerging and weighing packages, each
followed by the orders' arrival steps again (`core.auditing.arrival`).

The package moves themselves are `core.orders.merging` and `core.orders.splitting`; they
sit below the audit rules, so they cannot re-judge the orders they touched. This module
does both: the move (its own transaction, permission checked there), then the assignment
rules (a weight may change the carrier), auto-merge and the audit rules on every order of
the resulting packages — so merged orders leave the `mergeable` queue at once. Should the
re-check fail, the move stands and `orderhub orders recheck` repeats it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.actor import Actor
from core.app import App
from core.desk.lookup import after_change, find_orders
from core.orders import merging, splitting
from core.orders.repacking import PackageView


def merge(app: App, actor: Actor, order_numbers: Sequence[str]) -> PackageView:
    """`core.orders.merging.merge`, then the orders are judged again."""
    view = merging.merge(app, actor, order_numbers)
    _judge_again(app, actor, [view])
    return view


def split(
    app: App, actor: Actor, order_number: str, parts: Sequence[Mapping[int, int]]
) -> list[PackageView]:
    """`core.orders.splitting.split`, then the order is judged again."""
    views = splitting.split(app, actor, order_number, parts)
    _judge_again(app, actor, views)
    return views


def unmerge(
    app: App, actor: Actor, *, order_number: str | None = None, package_id: int | None = None
) -> list[PackageView]:
    """`core.orders.splitting.unmerge`, then the orders are judged again."""
    views = splitting.unmerge(app, actor, order_number=order_number, package_id=package_id)
    _judge_again(app, actor, views)
    return views


def set_weight(
    app: App,
    actor: Actor,
    grams: int,
    *,
    order_number: str | None = None,
    package_id: int | None = None,
) -> PackageView:
    """`core.orders.splitting.set_weight`, then the orders are judged (and assigned) again."""
    view = splitting.set_weight(app, actor, grams, order_number=order_number, package_id=package_id)
    _judge_again(app, actor, [view])
    return view


def _judge_again(app: App, actor: Actor, views: Sequence[PackageView]) -> None:
    numbers = sorted({n for view in views for n in view.order_numbers})
    if not numbers:
        return
    with app.tx() as session:
        found = find_orders(session, actor.org_id, numbers)
        after_change(session, actor.org_id, [row.id for row in found.values()])
