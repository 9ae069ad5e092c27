"""The paged reads of levels and the catalogue (`list_levels`/`list_skus` with `limit`,
`after`, `text`, `warehouse`, `order`; `count_levels`/`count_skus`), on both backends.

Walking every page of any filter gives exactly the filtered list, in order, each row
once; the counts agree; another org's rows never show; a bad key, limit or order is a
ValidationError naming the field. The reference lists are the whole unpaged, unfiltered
answers filtered in Python (and, for lowest available first, sorted in Python by
available, warehouse id and SKU id).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.app import App
from core.errors import ValidationError
from core.stock import catalogue, levels, operations, warehouses
from core.stock.operations import Line
from tests.conftest import OrgFixture

HOUSES = ("主仓", "北仓", "Zeta 仓")
#: Codes and names with upper and lower case, LIKE's own characters and Chinese words
NAMES = ("保温杯 红", "杯盖", "Blue Cup", "CUP lid", "礼盒 50%", "a_b 套装", "Mug\\M", "")
FRAGMENTS = ("cup", "CUP", "杯", "红", "b", "_", "%", "\\", "50%", "a_b", "x", "6901", "zeta", "仓")


def _world(app: App, org: OrgFixture, prefix: str, seed: int) -> None:
    rng = random.Random(seed)
    admin = org.admin
    for house in HOUSES:
        warehouses.add_warehouse(app, admin, house)
    codes = []
    for n in range(24):
        code = f"{prefix}{rng.choice(['cup', 'CUP', 'lid', 'a_b', 'x%y', 'M'])}-{n:02d}"
        barcode = f"6901{n:04d}" if n % 3 else ""
        catalogue.add_sku(app, admin, code, rng.choice(NAMES), barcode=barcode)
        codes.append(code)
    for house in HOUSES:
        stocked = [c for c in codes if rng.random() < 0.7]
        operations.receive(
            app, admin, [Line(c, rng.randint(1, 4)) for c in stocked], warehouse=house
        )
        emptied = [c for c in stocked if rng.random() < 0.3]  # available 0, and ties
        if emptied:
            operations.count(app, admin, [Line(c, 0) for c in emptied], warehouse=house)


@pytest.fixture
def world(app: App, acme: OrgFixture, globex: OrgFixture) -> OrgFixture:
    _world(app, acme, "", 14)
    _world(app, globex, "G", 41)  # the same words, another org
    catalogue.add_sku(app, globex.admin, "GLOBEX-ONLY", "保温杯 红 cup")
    return acme


def _matches(text: str, *texts: str) -> bool:
    return all(any(w in t.lower() for t in texts) for w in text.lower().split())


def _walk(read, limit: int) -> list:  # type: ignore[no-untyped-def]
    """Every page, each after the last row of the one before, until a short page."""
    rows: list = []
    after = None
    for _ in range(1000):
        page = read(after, limit)
        assert len(page) <= limit
        rows += page
        if len(page) < limit:
            return rows
        after = page[-1].key if hasattr(page[-1], "key") else page[-1].code
    raise AssertionError("the pages never end")


filters = st.lists(st.sampled_from(FRAGMENTS), max_size=2).map(" ".join)
walk_settings = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@walk_settings
@given(
    text=filters,
    warehouse=st.sampled_from([None, *HOUSES, "无此仓"]),
    order=st.sampled_from(levels.ORDERS),
    limit=st.integers(1, 7),
)
def test_walking_the_pages_of_levels_gives_the_filtered_list(
    app: App, world: OrgFixture, text: str, warehouse: str | None, order: str, limit: int
) -> None:
    admin = world.admin
    every = levels.list_levels(app, admin)
    expected = [
        lv
        for lv in every
        if (warehouse is None or lv.warehouse == warehouse)
        and _matches(text, lv.code, lv.name, lv.warehouse)
    ]
    if order == "available":
        house_ids = {h.name: h.id for h in warehouses.list_warehouses(app, admin)}
        sku_ids = {s.code: s.id for s in catalogue.list_skus(app, admin)}
        expected.sort(key=lambda lv: (lv.available, house_ids[lv.warehouse], sku_ids[lv.code]))

    def read(after, size):  # type: ignore[no-untyped-def]
        return levels.list_levels(
            app, admin, warehouse=warehouse, text=text, order=order, after=after, limit=size
        )

    walked = _walk(read, limit)
    assert [(lv.warehouse, lv.code) for lv in walked] == [
        (lv.warehouse, lv.code) for lv in expected
    ]
    assert walked == expected  # the numbers too
    counted = levels.count_levels(app, admin, warehouse=warehouse, text=text)
    assert (counted.total, counted.short) == (
        len(expected),
        sum(1 for lv in expected if lv.available <= 0),
    )


@walk_settings
@given(text=filters, limit=st.integers(1, 9))
def test_walking_the_pages_of_the_catalogue_gives_the_filtered_list(
    app: App, world: OrgFixture, text: str, limit: int
) -> None:
    admin = world.admin
    expected = [
        s for s in catalogue.list_skus(app, admin) if _matches(text, s.code, s.name, s.barcode)
    ]
    walked = _walk(
        lambda after, size: catalogue.list_skus(app, admin, text=text, after=after, limit=size),
        limit,
    )
    assert walked == expected
    assert catalogue.count_skus(app, admin, text=text) == len(expected)


def test_the_lists_are_the_orgs_own(app: App, world: OrgFixture, globex: OrgFixture) -> None:
    admin = world.admin
    assert len(levels.list_levels(app, admin)) == levels.count_levels(app, admin).total > 0
    assert catalogue.list_skus(app, admin, text="globex") == []
    assert catalogue.count_skus(app, admin, text="GLOBEX-ONLY") == 0
    assert catalogue.count_skus(app, globex.admin, text="GLOBEX-ONLY") == 1
    for order in levels.ORDERS:
        shown = levels.list_levels(app, admin, order=order, limit=1000)
        assert shown and not [lv for lv in shown if lv.code.startswith("G")]
    # a key taken from the other org's list reads only this org's rows after it
    theirs = levels.list_levels(app, globex.admin, order="available", limit=1)[0]
    after = levels.list_levels(app, admin, order="available", after=theirs.key, limit=1000)
    assert after and not [lv for lv in after if lv.code.startswith("G")]


def test_bad_pages_are_refused_by_field(app: App, world: OrgFixture) -> None:
    admin = world.admin
    refusals = [
        (lambda: levels.list_levels(app, admin, limit=0), "limit"),
        (lambda: catalogue.list_skus(app, admin, limit=1001), "limit"),
        (lambda: levels.list_levels(app, admin, order="price"), "order"),
        (lambda: levels.list_levels(app, admin, after=(1, 2, 3), limit=5), "after"),
        (lambda: levels.list_levels(app, admin, order="available", after=("主仓", "CUP")), "after"),
        (lambda: catalogue.list_skus(app, admin, after=5, limit=5), "after"),  # type: ignore[arg-type]
        (lambda: catalogue.count_skus(app, admin, text=" ".join("w" * 11)), "text"),
    ]
    for call, field in refusals:
        with pytest.raises(ValidationError) as refused:
            call()
        assert refused.value.details["field"] == field


def test_low_lists_only_levels_at_or_below_their_threshold_in_both_orders(
    app: App, acme: OrgFixture, globex: OrgFixture
) -> None:
    from core.stock import policies

    admin = acme.admin
    warehouses.add_warehouse(app, admin, "主仓")
    warehouses.add_warehouse(app, admin, "北仓")
    for code in ("A", "B", "C"):
        catalogue.add_sku(app, admin, code)
    operations.receive(app, admin, [Line("A", 5), Line("B", 30), Line("C", 2)], warehouse="主仓")
    operations.receive(app, admin, [Line("A", 50)], warehouse="北仓")
    policies.set_threshold(app, admin, "A", 10)  # every warehouse: 主仓 (5) is low, 北仓 not
    policies.set_threshold(app, admin, "B", 30, warehouse="主仓")  # equal: low
    warehouses.add_warehouse(app, globex.admin, "主仓")  # another org's low levels never show
    catalogue.add_sku(app, globex.admin, "A")
    operations.receive(app, globex.admin, [Line("A", 1)])
    policies.set_threshold(app, globex.admin, "A", 10)

    def low(**kw: object) -> list[tuple[str, str, int]]:
        found = levels.list_levels(app, admin, low=True, **kw)  # type: ignore[arg-type]
        return [(lv.warehouse, lv.code, lv.available) for lv in found]

    assert low() == [("主仓", "A", 5), ("主仓", "B", 30)]
    assert low(order="available") == [("主仓", "A", 5), ("主仓", "B", 30)]
    first = levels.list_levels(app, admin, low=True, limit=1)
    assert [lv.code for lv in levels.list_levels(app, admin, low=True, after=first[0].key)] == ["B"]
    assert low(warehouse="北仓") == []
    assert low(text="b") == [("主仓", "B", 30)]
