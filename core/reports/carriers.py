"""Carrier reports: each carrier account's share of the waybills drawn in a period, and
what the parcels labelled in a period cost to ship by the accounts' rate cards.

- Share (快递占比): waybills allocated in the period that are live or printed
  (cancelled and recycled numbers carried no parcel), per carrier account, read from
  the covering index `ix_waybills_org_allocated`.
- Cost (运费): every parcel whose first label was printed in the period, priced in SQL by
  its account's rate for the province its label went to (or the account's rate for every
  other province) and its weight. The package keeps those (`printed_at`,
  `receiver_province`, set by core.printing.states when it is printed) beside its carrier
  and weight in the covering `ix_packages_org_printed`, so only the rate cards are
  looked up. A parcel without a weight or without a rate is counted as
  unpriced, never guessed. Money needs `finance.view`: without it the report keeps the
  parcel counts and weights.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, case, func, literal
from sqlalchemy.orm import aliased

from core.actor import Actor
from core.app import App
from core.models import CarrierRate, Package, Waybill
from core.reports import common
from core.reports.model import Chart, Column, Report, build
from core.reports.period import Period

SHARE_GROUPINGS = ("carrier",)
COST_GROUPINGS = ("carrier", "province", "day", "week", "month")
LIVE = ("allocated", "printed")


def carrier_share_report(
    app: App, actor: Actor, period: Period, *, by: str | None = None, shop: str | None = None
) -> Report:
    """快递占比: waybills per carrier account and their share of all."""
    by = common.check_by("carriers", by, SHARE_GROUPINGS)
    with app.tx() as session:
        money = common.reader(session, actor)
        query = common.grouped(Waybill.carrier_account_id, [func.count()]).where(
            Waybill.org_id == actor.org_id,
            Waybill.allocated_at >= bindparam("lo"),
            Waybill.allocated_at < bindparam("hi"),
            Waybill.status.in_(LIVE),
        )
        shop_id = common.shop_filter(session, actor.org_id, shop)
        if shop_id is not None:
            query = query.join(Package, Package.id == Waybill.package_id).where(
                Package.shop_id == shop_id
            )
        sums = common.Sums(1)
        for _, row in common.per_day(session, period, query):
            sums.add(row[0], row[1:])
        names = common.carrier_names(session, actor.org_id)
    total = sum(v[0] for v in sums.by_key.values())
    rows = [
        (names.get(key, str(key)), sums.get(key)[0], common.share(sums.get(key)[0], total))  # type: ignore[call-overload]
        for key in common.ordered_keys(by, period, sums)
    ]
    columns = (
        Column("carrier", "快递账号 carrier account", "text"),
        Column("waybills", "面单 waybills"),
        Column("share", "占比 share", "percent"),
    )
    return build(
        "carriers",
        "快递占比 carrier share",
        period,
        by,
        columns,
        rows,
        money=money,
        chart=Chart("pie", "carrier", ("waybills",)),
    )


def shipping_cost_report(
    app: App, actor: Actor, period: Period, *, by: str | None = None, shop: str | None = None
) -> Report:
    """运费: parcels labelled in the period, their weight and their price by rate card."""
    by = common.check_by("shipping-cost", by, COST_GROUPINGS)
    with app.tx() as session:
        money = common.reader(session, actor)
        own = aliased(CarrierRate)
        other = aliased(CarrierRate)

        def rate(column: str):  # the province's own rate, else the account's default
            return func.coalesce(getattr(own, column), getattr(other, column))

        over = Package.weight_g - rate("first_weight_g")
        step = rate("step_weight_g")
        steps = case((over > 0, (over + step - 1) // step), else_=0)
        priced = (Package.weight_g.is_not(None)) & (rate("first_fen").is_not(None))
        cost = case((priced, rate("first_fen") + steps * rate("step_fen")), else_=0)
        dimension = {"carrier": Package.carrier_account_id, "province": Package.receiver_province}
        query = (
            common.grouped(
                dimension.get(by),
                [
                    func.count(),
                    func.sum(case((priced, 0), else_=1)),
                    func.coalesce(func.sum(Package.weight_g), 0),
                    func.coalesce(func.sum(cost), 0),
                ],
            )
            .select_from(Package)
            .outerjoin(
                own,
                and_(
                    own.org_id == actor.org_id,
                    own.carrier_account_id == Package.carrier_account_id,
                    own.province == Package.receiver_province,
                ),
            )
            .outerjoin(
                other,
                and_(
                    other.org_id == actor.org_id,
                    other.carrier_account_id == Package.carrier_account_id,
                    other.province == literal(""),
                ),
            )
            .where(
                Package.org_id == actor.org_id,
                Package.printed_at >= bindparam("lo"),
                Package.printed_at < bindparam("hi"),
            )
        )
        shop_id = common.shop_filter(session, actor.org_id, shop)
        if shop_id is not None:
            query = query.where(Package.shop_id == shop_id)
        sums = common.Sums(4)
        for day, row in common.per_day(session, period, query):
            sums.add(common.group_key(by, day, row[0]), row[1:])
        names = common.carrier_names(session, actor.org_id)
    rows = []
    for key in common.ordered_keys(by, period, sums):
        parcels, unpriced, grams, fen = sums.get(key)
        label = names.get(key, str(key)) if by == "carrier" else (str(key) if key else "(无 none)")  # type: ignore[call-overload]
        each = round(fen / (parcels - unpriced)) if parcels > unpriced else 0
        rows.append((label, parcels, unpriced, round(grams / 1000, 1), fen, each))
    titles = {"carrier": "快递账号 carrier account", "province": "省份 province"}
    columns = (
        Column("key", titles.get(by, "日期 " + by), "text"),
        Column("parcels", "包裹 parcels"),
        Column("unpriced", "未计价 unpriced"),
        Column("kg", "重量(kg) weight", "kg"),
        Column("cost", "运费 cost", "fen"),
        Column("each", "单均 per parcel", "fen"),
    )
    return build(
        "shipping-cost",
        "运费 shipping cost",
        period,
        by,
        columns,
        rows,
        money=money,
        chart=Chart("bar", "key", ("cost",) if money else ("parcels",)),
        notes=("priced by the rate cards (orderhub rates): 首重 + 续重 per step begun",),
    )
