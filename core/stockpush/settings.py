"""The org's quantity-push settings: off by default.

Stored as the org's `stock_push` row of `org_settings` (as the shipping settings are):
`enabled` (False), `shops` (shop ids to push for; empty: every shop of the org whose
platform takes pushes) and `warehouse` (the warehouse whose available stock counts;
None: the sum over every warehouse). Changing them needs `settings.manage` (it makes
orderhub write to the platforms on the org's behalf) and is audited
(`stock_push.settings`); reading them needs `stock.view`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import NotFound, ValidationError
from core.models import OrgSetting, Shop
from core.stock.warehouses import warehouse_named

SECTION = "stock_push"
ACTION = "stock_push.settings"
UNSET = object()


@dataclass(frozen=True)
class PushSettings:
    enabled: bool = False
    shops: tuple[int, ...] = ()  # empty: every shop
    warehouse: str | None = None  # None: every warehouse

    def covers(self, shop_id: int) -> bool:
        return not self.shops or shop_id in self.shops


def load(session: Session, org_id: int) -> PushSettings:
    row = session.get(OrgSetting, (org_id, SECTION))
    values = row.values if row is not None and isinstance(row.values, dict) else {}
    shops = values.get("shops") or []
    warehouse = values.get("warehouse")
    return PushSettings(
        enabled=values.get("enabled") is True,
        shops=tuple(int(s) for s in shops if isinstance(s, int)),
        warehouse=warehouse if isinstance(warehouse, str) and warehouse else None,
    )


def show_push_settings(app: App, actor: Actor) -> PushSettings:
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        return load(session, actor.org_id)


def update_push_settings(
    app: App,
    actor: Actor,
    *,
    enabled: bool | None = None,
    shops: Sequence[int] | None = None,
    warehouse: str | object | None = UNSET,
) -> PushSettings:
    """Change what is given: `enabled`, `shops` (ids of the org's shops; [] for all),
    `warehouse` (a name, or None for every warehouse)."""
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        before = load(session, actor.org_id)
        after = before
        if enabled is not None:
            after = PushSettings(bool(enabled), after.shops, after.warehouse)
        if shops is not None:
            after = PushSettings(after.enabled, _own_shops(session, actor, shops), after.warehouse)
        if warehouse is not UNSET:
            name = None
            if warehouse is not None:
                if not isinstance(warehouse, str):
                    raise ValidationError("warehouse must be a name", field="warehouse")
                name = warehouse_named(session, actor.org_id, warehouse).name
            after = PushSettings(after.enabled, after.shops, name)
        values = {**asdict(after), "shops": list(after.shops)}
        row = session.get(OrgSetting, (actor.org_id, SECTION), with_for_update=True)
        if row is None:
            session.add(
                OrgSetting(
                    org_id=actor.org_id, section=SECTION, values=values, updated_by=actor.user_id
                )
            )
        else:
            row.values, row.version, row.updated_by = values, row.version + 1, actor.user_id
        audit.record(
            session,
            ACTION,
            actor=actor,
            target_type="stock_push_settings",
            target_id=actor.org_id,
            before={**asdict(before), "shops": list(before.shops)},
            after=values,
            detail="库存同步到平台 / stock push: " + ("on" if after.enabled else "off"),
        )
        return after


def _own_shops(session: Session, actor: Actor, shops: Sequence[int]) -> tuple[int, ...]:
    wanted = sorted(set(shops))
    found = set(
        session.scalars(select(Shop.id).where(Shop.org_id == actor.org_id, Shop.id.in_(wanted)))
    )
    missing = [shop for shop in wanted if shop not in found]
    if missing:
        raise NotFound(f"no shop with id {missing[0]}", field="shops")
    return tuple(wanted)
