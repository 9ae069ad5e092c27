"""The rules run where orders arrive: a sync window (the sandbox over HTTP) and an import,
in the same transaction as the orders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from core.models import AuditEvent, Order
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.importing.builders import csv_bytes, row
from tests.importing.conftest import make_shop, run_import, stored_orders
from tests.sync.rig import Rig, make_rig


@pytest.fixture
def rig(settings) -> Iterator[Rig]:
    config = SandboxConfig(seed=11, shops=1, orders=400, history_days=1.0)
    with SandboxServer(config) as server:
        built = make_rig(settings, server, initial_days=2)
        yield built
        built.app.close()


def test_a_sync_approves_some_orders_and_queues_the_rest_with_reasons(rig: Rig) -> None:
    rig.settle()
    [shop_id] = rig.bind_all()
    rig.sync_until_done(shop_id)
    with rig.app.tx() as s:
        statuses = Counter(s.scalars(select(Order.hub_status).where(Order.shop_id == shop_id)))
        queue = list(s.scalars(select(Order).where(Order.in_exception.is_(True))))
        unchecked = s.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.hub_status == "pending", Order.rules_checked_at.is_(None))
        )
        approvals = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "order.approve", AuditEvent.detail == "auto")
        )
    assert statuses["audited"] > 0 and statuses["audited"] == approvals
    assert unchecked == 0
    reasons = Counter(r for o in queue for r in o.exception_reasons)
    for expected in ("buyer_memo", "flag_red", "mergeable", "address_unknown_district"):
        assert reasons[expected] > 0, reasons
    # Nothing approved carries a reason; closed orders keep the refund the store derived.
    assert not [o for o in queue if o.hub_status == "audited"]


def test_an_import_runs_the_rules_on_its_orders(app, acme, frozen_clock) -> None:
    shop = make_shop(app, acme.org_id, "杯子旗舰店", "9001")
    data = csv_bytes(
        [
            row("231125-1", 收货人="张三", 手机="13900001111"),
            row("231125-2", 收货人="李四", 买家留言="请发顺丰"),
            row("231125-3", 收货人="王五", 手机="12345"),
        ]
    )
    report = run_import(app, acme.admin, shop, data)
    assert report.imported
    orders = stored_orders(app, shop)
    assert orders["231125-1"].hub_status == "audited"
    assert orders["231125-2"].exception_reasons == ["buyer_memo"]
    assert orders["231125-3"].exception_reasons == ["phone_shape"]
    dry = run_import(app, acme.admin, shop, csv_bytes([row("231125-9")]), dry_run=True)
    assert dry.new == 1 and "231125-9" not in stored_orders(app, shop)


def test_an_import_assigns_merges_and_checks_in_one_step(app, acme, frozen_clock) -> None:
    """The arrival pipeline (core.auditing.arrival): assignment rules pick the template,
    auto-merge packs one receiver's orders together, and the merged orders are approved
    instead of being queued as `mergeable`."""
    from core.assignment import service as assignment_rules
    from core.auditing import settings as rule_settings
    from core.models import Package, PackageLine

    shop = make_shop(app, acme.org_id, "杯子旗舰店", "9001")
    rule_settings.update(app, acme.admin, {"auto_merge": True})
    assignment_rules.add_rule(
        app, acme.admin, "浙江小件", {"provinces": ["浙江省"]}, template="label-100x150"
    )
    same = {"收货人": "张三", "手机": "13900001111"}
    data = csv_bytes([row("M-1", **same), row("M-2", **same), row("M-3", 收货人="李四")])
    assert run_import(app, acme.admin, shop, data).imported

    orders = stored_orders(app, shop)
    assert {n: o.hub_status for n, o in orders.items()} == dict.fromkeys(orders, "audited")
    assert not any(o.exception_reasons for o in orders.values())
    assert {o.assigned_by for o in orders.values()} == {"rule:浙江小件"}
    assert {o.assigned_template for o in orders.values()} == {"label-100x150"}
    with app.tx() as session:
        live = session.execute(
            select(PackageLine.order_id, PackageLine.package_id)
            .join(Package, Package.id == PackageLine.package_id)
            .where(Package.status != "cancelled")
        ).all()
    packed: dict[int, set[int]] = {}
    for order_id, package_id in live:
        packed.setdefault(order_id, set()).add(package_id)
    one, two = packed[orders["M-1"].id], packed[orders["M-2"].id]
    assert one == two and len(one) == 1  # one package, so one waybill and one label
    assert packed.get(orders["M-3"].id, set()).isdisjoint(one)


def test_a_desk_merge_takes_the_orders_out_of_the_mergeable_queue(app, acme, frozen_clock) -> None:
    from core.desk import packing

    shop = make_shop(app, acme.org_id, "杯子旗舰店", "9001")
    same = {"收货人": "张三", "手机": "13900001111"}
    assert run_import(app, acme.admin, shop, csv_bytes([row("Q-1", **same), row("Q-2", **same)]))
    before = stored_orders(app, shop)
    assert [o.exception_reasons for o in before.values()] == [["mergeable"], ["mergeable"]]
    view = packing.merge(app, acme.admin, ["Q-1", "Q-2"])
    assert sorted(view.order_numbers) == ["Q-1", "Q-2"]
    after = stored_orders(app, shop)
    assert {n: (o.hub_status, o.exception_reasons) for n, o in after.items()} == {
        "Q-1": ("audited", []),
        "Q-2": ("audited", []),
    }


def test_holding_one_of_a_pair_takes_the_other_out_of_the_mergeable_queue(
    app, acme, frozen_clock
) -> None:
    from core.desk import holds

    shop = make_shop(app, acme.org_id, "杯子旗舰店", "9001")
    same = {"收货人": "张三", "手机": "13900001111"}
    assert run_import(app, acme.admin, shop, csv_bytes([row("H-1", **same), row("H-2", **same)]))
    holds.hold_orders(app, acme.admin, ["H-1"], reason="等买家确认")
    after = stored_orders(app, shop)
    assert after["H-1"].on_hold
    assert (after["H-2"].hub_status, after["H-2"].exception_reasons) == ("audited", [])
    holds.release_orders(app, acme.admin, ["H-1"])
    back = stored_orders(app, shop)
    assert back["H-1"].exception_reasons == ["mergeable"]  # H-2 is audited: merge them first
