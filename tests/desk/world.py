"""Orders for the desk's tests: specs (plain values, drawn by hypothesis or written by hand)
stored as real rows — shops, lines, tags, carrier accounts, packages, waybills and print
items — so a filter meets every table it reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from core import masking
from core.app import App
from core.models import (
    CarrierAccount,
    Order,
    OrderLine,
    OrderTag,
    Package,
    PackageLine,
    PrintJob,
    PrintJobItem,
    Shop,
    Tag,
)
from core.models.packages import Waybill

SHOPS = (("杯子店", "pinduoduo"), ("旗舰店", "manual"))
TAGS = ("紧急", "国内快递", "VIP")
CARRIERS = (("中通主号", "ZTO"), ("圆通", "YTO"))
PLACES = (
    ("浙江省", "杭州市", "西湖区"),
    ("浙江省", "宁波市", "鄞州区"),
    ("广东省", "广州市", "天河区"),
    ("北京市", "北京市", "朝阳区"),
)
TITLES = ("保温杯 500ml 红色 L", "杯盖", "Tea Cup blue", "陶瓷杯 红色 M")
SKUS = ("sku-1", "sku-2", "sku-3")
OUTER = ("CUP-R", "LID", "")
REASONS = ("refund_in_progress", "address_invalid", "memo_present")
FLAGS = ("", "red", "yellow", "green")
PHONES = ("13812345678", "13900001111", "+86 139-0000-2222")
#: Beijing midnight of 2026-11-20, the middle of every generated time.
BASE = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)
OFFSETS = (-49, -24, -1, 0, 1, 5, 9, 23, 24, 29, 47)  # hours from BASE (now: +5)


@dataclass(frozen=True)
class LineSpec:
    title: str
    sku: str
    outer_id: str


@dataclass(frozen=True)
class OrderSpec:
    shop: int = 0
    hub: str = "pending"
    on_hold: bool = False
    reasons: tuple[str, ...] = ()
    refund: str = "none"
    source: str = "sync"
    paid: datetime | None = None
    created: datetime | None = None
    due: datetime | None = None
    place: int = 0
    lines: tuple[LineSpec, ...] = (LineSpec("保温杯 500ml 红色 L", "sku-1", "CUP-R"),)
    tags: frozenset[str] = frozenset()
    flag: str = ""
    local_flag: str = ""
    memo: str = ""
    remark: str = ""
    local_remark: str = ""
    assigned: int | None = None
    waybill: int | None = None  # carrier index of a waybill for the order's package
    waybill_active: bool = True
    print_state: str | None = None  # state of a label item for the order's package
    phone: str | None = "13812345678"


@dataclass
class Stored:
    """A spec as stored: its order number, id and the numbers given to its waybill."""

    spec: OrderSpec
    number: str
    order_id: int
    waybill_number: str | None = None


@dataclass
class World:
    org_id: int
    orders: list[Stored] = field(default_factory=list)


times = st.one_of(st.none(), st.sampled_from(OFFSETS).map(lambda h: BASE + timedelta(hours=h)))
lines = st.builds(LineSpec, st.sampled_from(TITLES), st.sampled_from(SKUS), st.sampled_from(OUTER))
specs = st.builds(
    OrderSpec,
    shop=st.sampled_from((0, 1)),
    hub=st.sampled_from(("pending", "audited", "printed", "shipped", "cancelled", "refunded")),
    on_hold=st.booleans(),
    reasons=st.lists(st.sampled_from(REASONS), max_size=2, unique=True).map(tuple),
    refund=st.sampled_from(("none", "none", "in_progress", "refunded")),
    source=st.sampled_from(("sync", "import", "manual")),
    paid=times,
    created=times,
    due=times,
    place=st.sampled_from(range(len(PLACES))),
    lines=st.lists(lines, min_size=1, max_size=2).map(tuple),
    tags=st.frozensets(st.sampled_from(TAGS), max_size=2),
    flag=st.sampled_from(FLAGS),
    local_flag=st.sampled_from(FLAGS),
    memo=st.sampled_from(("", "", "请发顺丰")),
    remark=st.sampled_from(("", "", "送礼")),
    local_remark=st.sampled_from(("", "", "已电话确认")),
    assigned=st.sampled_from((None, 0, 1)),
    waybill=st.sampled_from((None, 0, 1)),
    waybill_active=st.booleans(),
    print_state=st.sampled_from((None, "done", "failed", "uncertain")),
    phone=st.sampled_from((None, *PHONES)),
)


def store_world(app: App, org_id: int, orders: list[OrderSpec], prefix: str = "T") -> World:
    """Shops, tags and carrier accounts of the org (made once), then `orders`."""
    world = World(org_id)
    with app.tx() as s:
        shops = _ensure(
            s, Shop, org_id, SHOPS, lambda n, p: dict(name=n, platform=p, platform_shop_id=n)
        )
        tags = _ensure(s, Tag, org_id, [(t,) for t in TAGS], lambda n: dict(name=n))
        accounts = _ensure(
            s,
            CarrierAccount,
            org_id,
            CARRIERS,
            lambda n, c: dict(name=n, wp_code=c, carrier="manual"),
        )
        job = PrintJob(org_id=org_id, kind="label")
        s.add(job)
        s.flush()
        for n, spec in enumerate(orders):
            number = f"{prefix}{org_id}-{n:03d}"
            order = _order(app, org_id, shops[spec.shop], number, spec, accounts)
            s.add(order)
            s.flush()
            for tag in spec.tags:
                s.add(OrderTag(order_id=order.id, tag_id=tags[TAGS.index(tag)], org_id=org_id))
            stored = Stored(spec, number, order.id)
            if spec.waybill is not None or spec.print_state is not None:
                stored.waybill_number = _package(s, org_id, order, spec, accounts, job, n)
            world.orders.append(stored)
    return world


def _ensure(s, model, org_id, rows, values) -> list[int]:  # type: ignore[no-untyped-def]
    """Ids of the org's rows named by the first value of each of `rows` (made if missing)."""
    found = {}
    for row in rows:
        existing = s.query(model).filter_by(org_id=org_id, name=row[0]).one_or_none()
        if existing is None:
            existing = model(org_id=org_id, **values(*row))
            s.add(existing)
            s.flush()
        found[row[0]] = existing.id
    return list(found.values())


def _order(app: App, org_id: int, shop_id: int, number: str, spec: OrderSpec, accounts) -> Order:  # type: ignore[no-untyped-def]
    province, city, district = PLACES[spec.place]
    phone = spec.phone
    return Order(
        org_id=org_id,
        shop_id=shop_id,
        platform_order_no=number,
        source=spec.source,
        hub_status=spec.hub,
        refund_status=spec.refund,
        on_hold=spec.on_hold,
        hold_reason="查地址" if spec.on_hold else "",
        exception_reasons=list(spec.reasons),
        in_exception=bool(spec.reasons),
        created_at_platform=spec.created,
        paid_at=spec.paid,
        promised_ship_by=spec.due,
        goods_amount_fen=7980,
        pay_amount_fen=7480,
        buyer_memo=spec.memo,
        seller_remark=spec.remark,
        local_remark=spec.local_remark,
        flag_color=spec.flag,
        local_flag=spec.local_flag,
        assigned_carrier_account_id=None if spec.assigned is None else accounts[spec.assigned],
        assigned_by="manual" if spec.assigned is not None else "",
        receiver_province=province,
        receiver_city=city,
        receiver_district=district,
        receiver_name="王小明",
        receiver_phone=phone,
        receiver_address="文三路 90 号",
        receiver_name_masked=masking.mask_name("王小明"),
        receiver_phone_masked=masking.mask_phone(phone or ""),
        receiver_address_masked=masking.mask_address("文三路 90 号"),
        receiver_phone_hash=(
            app.keyring.keyed_hash(masking.normalise_phone(phone), "receiver_phone")
            if phone
            else None
        ),
        lines=[
            OrderLine(
                org_id=org_id,
                line_no=i + 1,
                title=line.title,
                platform_sku_id=line.sku,
                outer_id=line.outer_id,
                quantity=1,
                unit_price_fen=3990,
            )
            for i, line in enumerate(spec.lines)
        ],
    )


def _package(s, org_id, order, spec, accounts, job, n) -> str | None:  # type: ignore[no-untyped-def]
    package = Package(org_id=org_id, shop_id=order.shop_id, status="new")
    s.add(package)
    s.flush()
    s.add(
        PackageLine(org_id=org_id, package_id=package.id, order_id=order.id, line_no=1, quantity=1)
    )
    number = None
    if spec.waybill is not None:
        number = f"YT{org_id:03d}{n:05d}"
        s.add(
            Waybill(
                org_id=org_id,
                package_id=package.id,
                carrier_account_id=accounts[spec.waybill],
                carrier="manual",
                carrier_code=CARRIERS[spec.waybill][1],
                number=number,
                status="allocated" if spec.waybill_active else "cancelled",
            )
        )
    if spec.print_state is not None:
        s.add(
            PrintJobItem(
                job_id=job.id,
                org_id=org_id,
                position=n + 1,
                kind="label",
                package_id=package.id,
                state=spec.print_state,
            )
        )
    s.flush()
    return number
