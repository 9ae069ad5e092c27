"""Keyset paging backwards: `last=True` then `before=` walks the same rows as forward
paging, in the same order, whatever the sort and however many rows lack the sort value;
the cursors of a page lead back and forth without repeating or skipping a row."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.actor import Actor
from core.app import App
from core.desk import search
from core.errors import ValidationError
from tests.conftest import OrgFixture
from tests.desk.test_search import all_pages
from tests.desk.world import BASE, OrderSpec, specs, store_world

_orgs = itertools.count()
SORTS = ("", "paid", "-paid", "due", "-due", "created", "id", "-id")


def backward_pages(app: App, actor: Actor, query: str, size: int) -> list[int]:
    page = search.search_orders(app, actor, query, last=True, limit=size)
    assert page.next_cursor is None
    ids = [r.id for r in page.rows]
    for _ in range(200):
        if page.prev_cursor is None:
            return ids
        page = search.search_orders(app, actor, query, before=page.prev_cursor, limit=size)
        assert len(page.rows) == size or page.prev_cursor is None  # the first may be short
        ids = [r.id for r in page.rows] + ids
    raise AssertionError("paging did not end")


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_backwards_from_the_end_meets_every_row_forwards_does(
    app: App, data: st.DataObject
) -> None:
    n = next(_orgs)
    org = OrgFixture(app, f"org{n}", f"boss{n}")  # a new org each time: others' rows stay
    store_world(app, org.org_id, data.draw(st.lists(specs, min_size=1, max_size=14)))
    for sort in SORTS:
        query = f"sort:{sort}" if sort else ""
        size = data.draw(st.integers(1, 5))
        forwards = all_pages(app, org.system, search.as_query(query), size)
        assert backward_pages(app, org.system, query, size) == forwards, query


def test_cursors_of_a_page_lead_both_ways(app: App, acme: OrgFixture) -> None:
    times = [BASE + timedelta(hours=h) for h in range(7)]
    store_world(app, acme.org_id, [OrderSpec(paid=t) for t in times] + [OrderSpec()] * 2)
    first = search.search_orders(app, acme.admin, "", limit=4)
    assert first.prev_cursor is None
    second = search.search_orders(app, acme.admin, "", after=first.next_cursor, limit=4)
    back = search.search_orders(app, acme.admin, "", before=second.prev_cursor, limit=4)
    assert [r.id for r in back.rows] == [r.id for r in first.rows]
    assert back.prev_cursor is None  # nothing before the first row
    again = search.search_orders(app, acme.admin, "", after=back.next_cursor, limit=4)
    assert [r.id for r in again.rows] == [r.id for r in second.rows]
    last = search.search_orders(app, acme.admin, "", last=True, limit=4)
    assert [r.paid_at for r in last.rows] == [times[5], times[6], None, None]
    assert last.next_cursor is None and last.prev_cursor is not None


def test_one_direction_at_a_time(app: App, acme: OrgFixture) -> None:
    store_world(app, acme.org_id, [OrderSpec(paid=BASE)] * 3)
    cursor = search.search_orders(app, acme.admin, "", limit=1).next_cursor
    with pytest.raises(ValidationError, match="at most one of after, before and last"):
        search.search_orders(app, acme.admin, "", after=cursor, before=cursor)
    with pytest.raises(ValidationError, match="at most one"):
        search.search_orders(app, acme.admin, "", after=cursor, last=True)
