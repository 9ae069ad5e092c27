"""A small fixed world for the report tests: two shops, two carrier accounts, five
orders of acme around 1–7 January 2026 (Shanghai) and a rival org's order on the same
days that no report may count. Times are written in Shanghai wall time (`sh`).

Expected numbers (period 2026-01-01 … 2026-01-07) are spelled out in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.actor import Actor
from core.app import App
from core.clock import SHANGHAI
from core.models import (
    Alert,
    CarrierAccount,
    CarrierRate,
    Order,
    Package,
    PackageLine,
    PrintJob,
    PrintJobItem,
    QuarantinedOrder,
    Shop,
    Sku,
    StockLevel,
    StockMove,
    Warehouse,
    Waybill,
)
from tests.conftest import OrgFixture

FIRST, LAST = "2026-01-01", "2026-01-07"


def sh(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    """A Shanghai wall time as the aware UTC instant stored."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class World:
    app: App
    admin: Actor  # every permission
    clerk: Actor  # 打单员: no report.view
    viewer: Actor  # 只读: report.view, no finance.view
    finance: Actor  # 财务: report.view and finance.view
    rival: Actor


def build(app: App, acme: OrgFixture) -> World:
    rival_org = OrgFixture(app, "rival", "rival")
    clerk = acme.staff("clerk", "打单员")
    viewer = acme.staff("viewer", "只读")
    finance = acme.staff("money", "财务")
    with app.tx() as s:
        org, other = acme.org_id, rival_org.org_id
        shop_a = Shop(org_id=org, platform="pinduoduo", platform_shop_id="A", name="旗舰店")
        shop_b = Shop(org_id=org, platform="pinduoduo", platform_shop_id="B", name="杯子店")
        shop_r = Shop(org_id=other, platform="pinduoduo", platform_shop_id="R", name="别家")
        s.add_all([shop_a, shop_b, shop_r])
        s.flush()
        yt, sf, rt = (
            CarrierAccount(org_id=o, name=n, carrier="manual", wp_code=c)
            for o, n, c in ((org, "圆通", "YTO"), (org, "顺丰", "SF"), (other, "圆通", "YTO"))
        )
        s.add_all([yt, sf, rt])
        s.flush()

        def order(owner: int, shop: Shop, no: str, **values: object) -> Order:
            row = Order(org_id=owner, shop_id=shop.id, platform_order_no=no, **values)
            s.add(row)
            s.flush()
            return row

        o1 = order(
            org, shop_a, "O1", hub_status="shipped", paid_at=sh(1, 1, 23, 30),
            pay_amount_fen=1000, receiver_province="广东省", printed_at=sh(1, 2, 9),
            shipped_at=sh(1, 2, 10),
            promised_ship_by=sh(1, 3, 23, 30),
        )  # fmt: skip
        o2 = order(
            org, shop_a, "O2", hub_status="shipped", paid_at=sh(1, 2), pay_amount_fen=2000,
            receiver_province="浙江省", printed_at=sh(1, 3, 11), shipped_at=sh(1, 4, 12),
            promised_ship_by=sh(1, 4),
        )  # fmt: skip
        o3 = order(
            org, shop_b, "O3", hub_status="audited", paid_at=sh(1, 2, 8), pay_amount_fen=3000,
            receiver_province="广东省", promised_ship_by=sh(1, 3, 8),
            exception_reasons=["buyer_memo", "unmapped_sku"], in_exception=True,
        )  # fmt: skip
        o4 = order(
            org, shop_b, "O4", hub_status="cancelled", paid_at=sh(1, 5, 9), pay_amount_fen=500,
            receiver_province="北京市", promised_ship_by=sh(1, 6, 9), on_hold=True,
            hold_reason="缺货",
        )  # fmt: skip
        order(  # paid a minute before the period starts
            org, shop_a, "O5", hub_status="shipped", paid_at=sh(12, 31, 23, 59, year=2025),
            pay_amount_fen=9999, receiver_province="广东省", shipped_at=sh(1, 1, 0, 30),
            promised_ship_by=sh(1, 2),
        )  # fmt: skip
        r1 = order(
            other, shop_r, "R1", hub_status="shipped", paid_at=sh(1, 1, 12), pay_amount_fen=7777,
            receiver_province="广东省", printed_at=sh(1, 2, 10), shipped_at=sh(1, 2, 12),
            promised_ship_by=sh(1, 3),
            exception_reasons=["buyer_memo"], in_exception=True, on_hold=True, hold_reason="缺货",
        )  # fmt: skip

        def package(owner: int, shop: Shop, account: CarrierAccount, o: Order, **v) -> Package:  # type: ignore[no-untyped-def]
            row = Package(org_id=owner, shop_id=shop.id, carrier_account_id=account.id, **v)
            s.add(row)
            s.flush()
            s.add(
                PackageLine(org_id=owner, package_id=row.id, order_id=o.id, line_no=1, quantity=1)
            )
            return row

        p1 = package(org, shop_a, yt, o1, weight_g=1500, status="shipped",
                     printed_at=sh(1, 2, 9), receiver_province="广东省")  # fmt: skip
        p2 = package(org, shop_a, sf, o2, weight_g=800, status="shipped",
                     printed_at=sh(1, 3, 11), receiver_province="浙江省")  # fmt: skip
        p3 = package(org, shop_b, yt, o3, status="waybill_allocated")
        package(org, shop_b, yt, o4, status="on_hold", hold_reason="退款中，拦截",
                created_at=sh(1, 5, 10))  # fmt: skip
        pr = package(other, shop_r, rt, r1, weight_g=900, status="on_hold", hold_reason="x",
                     created_at=sh(1, 2), printed_at=sh(1, 2, 10),
                     receiver_province="广东省")  # fmt: skip

        def waybill(owner: int, p: Package, account: CarrierAccount, number: str, **v) -> Waybill:  # type: ignore[no-untyped-def]
            row = Waybill(
                org_id=owner, package_id=p.id, carrier_account_id=account.id, carrier="manual",
                carrier_code=account.wp_code, number=number, **v,
            )  # fmt: skip
            s.add(row)
            s.flush()
            return row

        w1 = waybill(org, p1, yt, "YT1", status="printed", allocated_at=sh(1, 2, 8))
        w2 = waybill(org, p2, sf, "SF2", status="printed", allocated_at=sh(1, 3, 10))
        waybill(org, p3, yt, "YT3", status="cancelled", allocated_at=sh(1, 3, 9))
        waybill(org, p3, yt, "YT4", status="allocated", allocated_at=sh(1, 3, 9, 10))
        wr = waybill(other, pr, rt, "YT9", status="printed", allocated_at=sh(1, 2, 9))

        j1 = PrintJob(org_id=org, kind="label", status="done", created_by=acme.admin_id)
        j2 = PrintJob(org_id=org, kind="label", status="done", created_by=clerk.user_id)
        jr = PrintJob(org_id=other, kind="label", status="done", created_by=rival_org.admin_id)
        s.add_all([j1, j2, jr])
        s.flush()

        def item(
            job: PrintJob, position: int, p: Package, o: Order, w: Waybill, **v
        ) -> PrintJobItem:  # type: ignore[no-untyped-def]
            row = PrintJobItem(
                job_id=job.id, org_id=job.org_id, position=position, kind="label",
                package_id=p.id, order_id=o.id, waybill_id=w.id, **v,
            )  # fmt: skip
            s.add(row)
            s.flush()
            return row

        first = item(j1, 1, p1, o1, w1, state="done", done_at=sh(1, 2, 9))
        item(j2, 1, p1, o1, w1, state="done", done_at=sh(1, 2, 9, 30), reprint=True,
             reprint_reason="卡纸", reprint_of_id=first.id)  # fmt: skip
        item(j2, 2, p2, o2, w2, state="done", done_at=sh(1, 3, 11))
        item(j2, 3, p2, o2, w2, state="failed", reprint=True, reprint_reason="x")
        item(jr, 1, pr, r1, wr, state="done", done_at=sh(1, 2, 10))

        s.add_all(
            [
                CarrierRate(org_id=org, carrier_account_id=yt.id, province="", first_fen=300,
                            step_fen=100),
                CarrierRate(org_id=org, carrier_account_id=yt.id, province="广东省",
                            first_fen=400, step_fen=200),
                CarrierRate(org_id=other, carrier_account_id=rt.id, province="", first_fen=1,
                            step_fen=1),
            ]
        )  # fmt: skip
        s.add_all(
            [
                QuarantinedOrder(org_id=org, shop_id=shop_a.id, platform_order_no="Q1",
                                 reason="no receiver", first_seen_at=sh(1, 4)),
                QuarantinedOrder(org_id=org, shop_id=shop_a.id, platform_order_no="Q2",
                                 reason="no receiver", first_seen_at=sh(1, 9)),
                QuarantinedOrder(org_id=other, shop_id=shop_r.id, platform_order_no="Q3",
                                 reason="no receiver", first_seen_at=sh(1, 4)),
                Alert(org_id=org, kind="sync_failed", message="x", created_at=sh(1, 5)),
                Alert(org_id=other, kind="sync_failed", message="x", created_at=sh(1, 5)),
            ]
        )  # fmt: skip

        house = Warehouse(org_id=org, name="主仓", is_default=True)
        house_r = Warehouse(org_id=other, name="主仓", is_default=True)
        s.add_all([house, house_r])
        cup = Sku(org_id=org, code="CUP", name="保温杯", cost_fen=1250)
        lid = Sku(org_id=org, code="LID", name="杯盖", cost_fen=350)
        mug = Sku(org_id=org, code="MUG", name="马克杯", cost_fen=2000)
        rsku = Sku(org_id=other, code="CUP", name="别人的杯", cost_fen=99999)
        s.add_all([cup, lid, mug, rsku])
        s.flush()
        for owner, w, sku, delta, reason, at in (
            (org, house, cup, 10, "receipt", sh(12, 20, year=2025)),
            (org, house, lid, 5, "receipt", sh(12, 20, year=2025)),
            (org, house, cup, -3, "deduct", sh(1, 3)),
            (org, house, cup, -1, "deduct", sh(1, 9)),
            (other, house_r, rsku, 50, "receipt", sh(12, 20, year=2025)),
            (other, house_r, rsku, -20, "deduct", sh(1, 3)),
        ):
            s.add(StockMove(org_id=owner, warehouse_id=w.id, sku_id=sku.id,
                            on_hand_delta=delta, reason=reason, at=at))  # fmt: skip
        s.add_all(
            [
                StockLevel(org_id=org, warehouse_id=house.id, sku_id=cup.id, on_hand=6),
                StockLevel(org_id=org, warehouse_id=house.id, sku_id=lid.id, on_hand=5),
                StockLevel(org_id=other, warehouse_id=house_r.id, sku_id=rsku.id, on_hand=30),
            ]
        )
        del o4
    return World(app, acme.admin, clerk, viewer, finance, rival_org.admin)
