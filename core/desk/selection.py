"""Naming the orders a desk action acts on: order numbers, or a filter of the desk's query
language for every order it selects (at most `MAX_ORDERS`, never silently cut).

The API's batch actions resolve their selection here (as `cli.order_selection` does for
`--filter`), then hand the numbers to the action's service.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.actor import Actor
from core.app import App
from core.desk.lookup import MAX_ORDERS
from core.desk.search import matching_numbers
from core.errors import ValidationError


def selected_numbers(
    app: App, actor: Actor, numbers: Sequence[str] = (), query: str | None = None
) -> list[str]:
    """The order numbers named, or those `query` selects (`order.view`); exactly one of
    the two. A number two shops share comes back as `SHOP_ID:NUMBER`."""
    if query is not None and numbers:
        raise ValidationError("name orders or give a filter, not both", field="orders")
    if query is not None:
        found = matching_numbers(app, actor, query, most=MAX_ORDERS)
        if not found:
            raise ValidationError(f"no order matches the filter {query!r}", field="filter")
        return found
    if not numbers:
        raise ValidationError("name at least one order number, or give a filter", field="orders")
    return list(numbers)
