"""Search against a brute-force filter over the same rows: every key, negation, lists,
comparisons; pages cover every row exactly once in sort order; tab counts; cursors."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.actor import Actor
from core.app import App
from core.desk import search
from core.desk.query import TABS, Query, Term, Value
from core.errors import PermissionDenied, ValidationError
from tests.conftest import OrgFixture
from tests.desk import reference
from tests.desk.queries import queries, terms, value_strategies
from tests.desk.world import BASE, LineSpec, OrderSpec, Stored, specs, store_world

NOW = BASE + timedelta(hours=5)  # one of the world's times: boundaries are met
_orgs = itertools.count()


def all_pages(app: App, actor: Actor, query: Query, size: int) -> list[int]:
    ids, cursor = [], None
    for _ in range(200):
        page = search.search_orders(app, actor, query, after=cursor, limit=size)
        ids += [r.id for r in page.rows]
        if page.next_cursor is None:
            return ids
        assert len(page.rows) == size
        cursor = page.next_cursor
    raise AssertionError("paging did not end")


def expected_order(found: list[Stored], sort: str) -> list[int]:
    descending = sort.startswith("-")
    name = sort.lstrip("-") or "paid"

    def value(o: Stored):  # type: ignore[no-untyped-def]
        return {"paid": o.spec.paid, "created": o.spec.created, "due": o.spec.due}.get(name)

    if name == "id":
        return sorted((o.order_id for o in found), reverse=descending)
    valued = sorted(
        (o for o in found if value(o) is not None),
        key=lambda o: (value(o), o.order_id),
        reverse=descending,
    )
    empty = sorted((o.order_id for o in found if value(o) is None), reverse=descending)
    return [o.order_id for o in valued] + empty


def _world_and_strategies(app: App, data):  # type: ignore[no-untyped-def]
    n = next(_orgs)
    org = OrgFixture(app, f"org{n}", f"boss{n}")  # a new org each time: others' rows stay
    world = store_world(app, org.org_id, data.draw(st.lists(specs, min_size=1, max_size=16)))
    strategies = value_strategies([o.waybill_number for o in world.orders if o.waybill_number])
    numbers = st.sampled_from([o.number for o in world.orders]).map(Value)
    strategies["order"] = st.lists(numbers, min_size=1, max_size=2).map(tuple)
    return org, world, strategies


def _agrees(app: App, org: OrgFixture, world, query: Query, size: int) -> None:  # type: ignore[no-untyped-def]
    wanted = [o for o in world.orders if reference.matches(o, query, NOW)]
    got = all_pages(app, org.system, query, size=size)
    assert got == expected_order(wanted, query.sort), query.format()
    counts = search.count_tabs(app, org.system, query)
    assert counts.counts == {t: Counter(reference.tab(o) for o in wanted)[t] for t in TABS}
    assert counts.total == len(wanted)


SLOW = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("key", sorted(value_strategies([])))
@SLOW
@given(data=st.data())
def test_each_key_agrees_with_brute_force(app: App, frozen_clock, key: str, data) -> None:  # type: ignore[no-untyped-def]
    frozen_clock[0] = NOW
    org, world, strategies = _world_and_strategies(app, data)
    term = terms(strategies, st.just(key))
    for _ in range(8):
        query = Query((data.draw(term),), data.draw(st.sampled_from(("", "-paid", "due"))))
        _agrees(app, org, world, query, data.draw(st.integers(1, 20)))


@SLOW
@given(data=st.data())
def test_mixed_filters_agree_with_brute_force(app: App, frozen_clock, data) -> None:  # type: ignore[no-untyped-def]
    frozen_clock[0] = NOW
    org, world, strategies = _world_and_strategies(app, data)
    for query in data.draw(st.lists(queries(strategies), min_size=4, max_size=8)):
        _agrees(app, org, world, query, data.draw(st.integers(1, 5)))


def test_pages_stay_stable_when_orders_arrive(app: App, acme: OrgFixture) -> None:
    times = [BASE + timedelta(hours=h) for h in (1, 2, 3, 4, 5, 6)]
    store_world(app, acme.org_id, [OrderSpec(paid=t) for t in times], prefix="A")
    first = search.search_orders(app, acme.admin, "sort:paid", limit=3)
    # Orders paid before and after the page's edge arrive: the next page neither repeats
    # nor skips a row that was there, and shows the later newcomer.
    late = [OrderSpec(paid=BASE), OrderSpec(paid=BASE + timedelta(hours=10))]
    store_world(app, acme.org_id, late, prefix="B")
    second = search.search_orders(app, acme.admin, "sort:paid", after=first.next_cursor, limit=10)
    seen = [r.paid_at for r in first.rows] + [r.paid_at for r in second.rows]
    assert seen == [*times, BASE + timedelta(hours=10)]


def test_a_tampered_or_borrowed_cursor_is_refused(app: App, acme: OrgFixture) -> None:
    store_world(app, acme.org_id, [OrderSpec(paid=BASE)] * 3)
    cursor = search.search_orders(app, acme.admin, "", limit=1).next_cursor
    assert cursor
    head, _, signature = cursor.partition(".")
    for bad in (head[:-1] + ("A" if head[-1] != "A" else "B") + "." + signature, "x", "é.é"):
        with pytest.raises(ValidationError, match="damaged or edited") as caught:
            search.search_orders(app, acme.admin, "", after=bad, limit=1)
        assert caught.value.details["field"] == "cursor"
    with pytest.raises(ValidationError, match="another filter or sort"):
        search.search_orders(app, acme.admin, "hold:no", after=cursor, limit=1)


def test_rows_carry_what_the_list_shows_and_mask_the_receiver(app: App, acme: OrgFixture) -> None:
    spec = OrderSpec(
        paid=BASE,
        tags=frozenset({"紧急", "VIP"}),
        flag="red",
        local_flag="green",
        memo="请发顺丰",
        reasons=("address_invalid",),
        assigned=1,
        waybill=0,
        print_state="done",
    )
    (stored,) = store_world(app, acme.org_id, [spec]).orders
    (row,) = search.search_orders(app, acme.admin, f"order:{stored.number}").rows
    assert (row.shop, row.tab, row.flag) == ("杯子店", "exception", "green")
    assert row.tags == ("VIP", "紧急")
    assert (row.has_memo, row.has_remark, row.printed, row.carrier) == (True, False, True, "圆通")
    assert (row.receiver_name, row.receiver_phone) == ("王**", "138****5678")
    assert row.exception_reasons == ("address_invalid",) and row.paid_at == BASE


def test_every_tab_and_the_sum_of_tabs(app: App, acme: OrgFixture) -> None:
    store_world(
        app,
        acme.org_id,
        [
            OrderSpec(hub="pending"),
            OrderSpec(hub="pending", reasons=("address_invalid",)),
            OrderSpec(hub="audited", on_hold=True, reasons=("memo_present",)),
            OrderSpec(hub="audited"),
            OrderSpec(hub="printed"),
            OrderSpec(hub="shipped", on_hold=True),
            OrderSpec(hub="cancelled"),
        ],
    )
    counts = search.count_tabs(app, acme.admin)
    assert counts.total == 7
    assert {t: n for t, n in counts.counts.items() if n} == {
        "pending": 1,
        "exception": 1,
        "on_hold": 1,
        "audited": 1,
        "printed": 1,
        "shipped": 1,
        "cancelled": 1,
    }
    assert search.count_tabs(app, acme.admin, "hold:yes").counts["shipped"] == 1


def test_search_needs_order_view_and_sees_only_its_org(
    app: App, acme: OrgFixture, globex: OrgFixture
) -> None:
    (mine,) = store_world(app, acme.org_id, [OrderSpec()]).orders
    store_world(app, globex.org_id, [OrderSpec()])
    clerk = acme.staff("clerk", "只读")
    assert [r.id for r in search.search_orders(app, clerk, "").rows] == [mine.order_id]
    assert search.count_tabs(app, clerk).total == 1
    other = globex.staff("spy", "只读")
    assert search.search_orders(app, other, f"order:{mine.number}").rows == ()
    nobody = acme.staff("nobody")
    with pytest.raises(PermissionDenied, match=r"order\.view"):
        search.search_orders(app, nobody, "")
    with pytest.raises(PermissionDenied, match=r"order\.view"):
        search.count_tabs(app, nobody)


def test_a_statement_built_once_serves_each_org_only_its_own_orders(
    app: App, acme: OrgFixture, globex: OrgFixture
) -> None:
    """The keyset statement of a filter is built once per process with the org as a bind
    parameter: the next org asking the same filter (tags and shops are org sub-queries)
    must see its own orders, on every page."""
    spec = OrderSpec(paid=BASE, tags=frozenset({"VIP"}))
    later = OrderSpec(paid=BASE + timedelta(hours=1), tags=frozenset({"VIP"}))
    acme_ids = [o.order_id for o in store_world(app, acme.org_id, [spec, later]).orders]
    globex_ids = [o.order_id for o in store_world(app, globex.org_id, [spec, later]).orders]
    text = "tag:VIP shop:杯子店 sort:paid"

    def pages(actor: Actor) -> list[int]:
        first = search.search_orders(app, actor, text, limit=1)
        assert first.next_cursor
        second = search.search_orders(app, actor, text, after=first.next_cursor, limit=1)
        return [r.id for r in (*first.rows, *second.rows)]

    hits = search._shared_phase.cache_info().hits
    assert pages(acme.admin) == acme_ids
    assert pages(globex.admin) == globex_ids
    assert pages(acme.admin) == acme_ids
    assert search._shared_phase.cache_info().hits >= hits + 4


def test_phone_search_normalises_the_number(app: App, acme: OrgFixture) -> None:
    (a, _b) = store_world(
        app, acme.org_id, [OrderSpec(phone="+86 139-0000-2222"), OrderSpec()]
    ).orders
    for typed in ("13900002222", "139 0000 2222", "8613900002222"):
        rows = search.search_orders(app, acme.admin, f'phone:"{typed}"').rows
        assert [r.id for r in rows] == [a.order_id]
    assert Term("phone", (Value("13900002222"),)).format() == "phone:13900002222"


def test_matching_ids_for_services_that_act_on_a_filter(
    app: App, acme: OrgFixture, globex: OrgFixture
) -> None:
    held = store_world(app, acme.org_id, [OrderSpec(on_hold=True)] * 3 + [OrderSpec()]).orders
    store_world(app, globex.org_id, [OrderSpec(on_hold=True)])
    with app.tx() as session:
        ids = search.matching_ids(session, acme.admin, app.keyring, "hold:yes", limit=2)
    assert ids == [o.order_id for o in held[:2]]


def test_like_wildcards_in_a_filter_are_plain_characters(app: App, acme: OrgFixture) -> None:
    cotton, plain = store_world(
        app,
        acme.org_id,
        [
            OrderSpec(lines=(LineSpec("100% 棉 T恤", "sku-1", ""),)),
            OrderSpec(lines=(LineSpec("1000 棉_袜", "sku-2", ""),)),
        ],
    ).orders
    for text, wanted in (
        ('title:"100%"', [cotton]),
        ("title:_", [plain]),
        ('"0% "', [cotton]),
        ("title:\\", []),
    ):
        rows = search.search_orders(app, acme.admin, text).rows
        assert [r.id for r in rows] == [o.order_id for o in wanted], text
