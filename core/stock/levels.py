"""Reading stock: levels per warehouse and SKU (on hand, reserved, available) and the
proof that they equal the ledger (`verify`, what `orderhub stock verify` runs).

Both need `stock.view`. `verify` sums every level's moves in one grouped query and
compares: a level without moves, moves without a level, or any difference is reported
with the warehouse, the SKU and both numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.models import Sku, StockLevel, StockMove, Warehouse


@dataclass(frozen=True)
class LevelInfo:
    warehouse: str
    code: str
    name: str
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class Difference:
    warehouse: str
    code: str
    level: tuple[int, int]  # (on hand, reserved) as stored
    ledger: tuple[int, int]  # the sums of the moves


def list_levels(app: App, actor: Actor, *, warehouse: str | None = None) -> list[LevelInfo]:
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        query = (
            select(Warehouse.name, Sku.code, Sku.name, StockLevel.on_hand, StockLevel.reserved)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .join(Sku, Sku.id == StockLevel.sku_id)
            .where(StockLevel.org_id == actor.org_id)
            .order_by(Warehouse.name, Sku.code)
        )
        if warehouse is not None:
            query = query.where(Warehouse.name == warehouse.strip())
        return [LevelInfo(*row) for row in session.execute(query)]


def verify(app: App, actor: Actor) -> list[Difference]:
    """Every level of the org against the sum of its moves; [] when all agree."""
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        sums = {
            (w, s): (on_hand, reserved)
            for w, s, on_hand, reserved in session.execute(
                select(
                    StockMove.warehouse_id,
                    StockMove.sku_id,
                    func.coalesce(func.sum(StockMove.on_hand_delta), 0),
                    func.coalesce(func.sum(StockMove.reserved_delta), 0),
                )
                .where(StockMove.org_id == actor.org_id)
                .group_by(StockMove.warehouse_id, StockMove.sku_id)
            )
        }
        stored = {
            (w, s): (on_hand, reserved)
            for w, s, on_hand, reserved in session.execute(
                select(
                    StockLevel.warehouse_id,
                    StockLevel.sku_id,
                    StockLevel.on_hand,
                    StockLevel.reserved,
                ).where(StockLevel.org_id == actor.org_id)
            )
        }
        names = dict(
            session.execute(
                select(Warehouse.id, Warehouse.name).where(Warehouse.org_id == actor.org_id)
            ).all()
        )
        codes = dict(
            session.execute(select(Sku.id, Sku.code).where(Sku.org_id == actor.org_id)).all()
        )
        differences = []
        for key in sorted(set(sums) | set(stored)):
            level, moved = stored.get(key, (0, 0)), sums.get(key, (0, 0))
            if level != moved:
                w, s = key
                differences.append(
                    Difference(names.get(w, str(w)), codes.get(s, str(s)), level, moved)
                )
        return differences
