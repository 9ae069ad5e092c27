"""SKU 对应 (`core.stock.mapping`): the automatic match on outer_id, a mapping by hand that
wins over it, bundles, the unmapped list of open orders, and the checks."""

from __future__ import annotations

import pytest

from core.errors import NotFound, PermissionDenied, ValidationError
from core.orders import status as order_status
from core.stock import catalogue, mapping
from core.stock.mapping import Part
from tests.conftest import OrgFixture
from tests.desk.world import LineSpec, OrderSpec, store_world

CUP = LineSpec("保温杯 500ml 红色 L", "sku-1", "CUP-R")
LID = LineSpec("杯盖", "sku-2", "LID")
GIFT_SET = LineSpec("保温杯礼盒", "sku-9", "")  # a bundle: no outer_id of ours


@pytest.fixture
def orders(app, acme: OrgFixture):  # type: ignore[no-untyped-def]
    specs = [
        OrderSpec(lines=(CUP, LID)),
        OrderSpec(lines=(GIFT_SET,)),
        OrderSpec(lines=(GIFT_SET,), hub="shipped"),  # not open: not waiting
        OrderSpec(lines=(LID,)),
    ]
    return store_world(app, acme.org_id, specs, prefix="MAP")


def unmapped_ids(app, actor) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {u.platform_sku_id: u.orders for u in mapping.unmapped(app, actor)}


def test_outer_id_maps_by_itself_and_a_bundle_is_mapped_by_hand(
    app, acme: OrgFixture, orders
) -> None:
    admin = acme.admin
    assert unmapped_ids(app, admin) == {"sku-1": 1, "sku-2": 2, "sku-9": 1}
    catalogue.add_sku(app, admin, "CUP-R", "保温杯 红")
    catalogue.add_sku(app, admin, "LID", "杯盖")
    assert unmapped_ids(app, admin) == {"sku-9": 1}  # outer_id = SKU code: mapped

    bundle = mapping.map_platform_sku(
        app, admin, "pinduoduo", "sku-9", [Part("CUP-R", 1), Part("LID", 2), Part("LID", 1)]
    )
    assert bundle.parts == (Part("CUP-R", 1), Part("LID", 3))
    assert unmapped_ids(app, admin) == {}
    assert mapping.list_mappings(app, admin) == [bundle]

    # A mapping by hand wins over the outer_id: this shop's "LID" listing is a pack of 2.
    mapping.map_platform_sku(app, admin, "pinduoduo", "sku-2", [Part("LID", 2)])
    with app.tx() as session:
        keys = [mapping.LineKey("pinduoduo", "sku-2", "LID"), mapping.LineKey("manual", "x", "LID")]
        resolved = mapping.components(session, acme.org_id, keys)
    lid = catalogue.list_skus(app, admin)[1].id
    assert resolved == {keys[0]: ((lid, 2),), keys[1]: ((lid, 1),)}

    mapping.unmap_platform_sku(app, admin, "pinduoduo", "sku-9")
    assert unmapped_ids(app, admin) == {"sku-9": 1}


def test_mapping_checks_its_input_and_permission(app, acme: OrgFixture, orders) -> None:
    admin = acme.admin
    catalogue.add_sku(app, admin, "LID")
    with pytest.raises(NotFound) as unknown:
        mapping.map_platform_sku(app, admin, "pinduoduo", "sku-9", [Part("NOPE")])
    assert unknown.value.details["field"] == "code"
    with pytest.raises(ValidationError) as zero:
        mapping.map_platform_sku(app, admin, "pinduoduo", "sku-9", [Part("LID", 0)])
    assert "part 1 (LID)" in str(zero.value)
    with pytest.raises(ValidationError):
        mapping.map_platform_sku(app, admin, "", "sku-9", [Part("LID")])
    # Longer than the column: PostgreSQL refused the insert (a 500 through the API, found
    # by tests/api/test_schema_fuzz.py); SQLite would have stored it.
    with pytest.raises(ValidationError) as long_name:
        mapping.map_platform_sku(app, admin, "p" * 33, "sku-9", [Part("LID")])
    assert long_name.value.details["field"] == "platform"
    with pytest.raises(NotFound):
        mapping.unmap_platform_sku(app, admin, "pinduoduo", "sku-9")
    viewer = acme.staff("viewer", "只读")
    with pytest.raises(PermissionDenied):
        mapping.map_platform_sku(app, viewer, "pinduoduo", "sku-9", [Part("LID")])
    assert mapping.list_mappings(app, viewer) == []


def test_open_statuses_are_the_workflows() -> None:
    assert mapping.OPEN == order_status.WORKFLOW


def test_the_audit_rule_stops_orders_with_unmapped_skus_once_a_catalogue_is_kept(
    app, acme: OrgFixture, orders
) -> None:
    from core.auditing import decisions
    from core.desk import search

    admin = acme.admin

    def reasons() -> dict[str, tuple[str, ...]]:
        rows = search.search_orders(app, admin, "").rows
        return {r.order_no: r.exception_reasons for r in rows}

    numbers = list(reasons())  # pending, audited (they may be approved as they pass), shipped
    decisions.recheck(app, admin, numbers)
    assert not any("unmapped_sku" in r for r in reasons().values())  # no catalogue: no rule

    catalogue.add_sku(app, admin, "CUP-R")
    decisions.recheck(app, admin, numbers)
    stopped = {n for n, r in reasons().items() if "unmapped_sku" in r}
    assert len(stopped) == 3  # LID twice, the gift set once; the shipped one is not checked

    catalogue.add_sku(app, admin, "LID")
    mapping.map_platform_sku(app, admin, "pinduoduo", "sku-9", [Part("CUP-R"), Part("LID")])
    decisions.recheck(app, admin, numbers)
    assert not any("unmapped_sku" in r for r in reasons().values())
