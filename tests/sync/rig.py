"""A sync test rig: the real Pinduoduo client against the sandbox gateway over loopback
HTTP, an orderhub database (SQLite or PostgreSQL), and shops bound through OAuth.

Also the one comparison every sync test ends with: the database against the sandbox's
ground truth, order by order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from core import clock
from core.app import App
from core.config import Settings, SyncSettings
from core.models import Order, OrderLine, Shop, SyncRun
from core.shops import binding
from core.startup import open_app
from core.sync.scheduler import Control, PassReport, sync_shop
from plugins.platforms.pinduoduo import mapping
from plugins.platforms.pinduoduo.sandbox import SandboxServer
from plugins.platforms.pinduoduo.sandbox.clock import parse_beijing
from tests.conftest import OrgFixture

REDIRECT_URI = "http://127.0.0.1:8765/pdd/callback"
#: Client knobs for tests: short timeouts and back-off, the published rate limits kept.
CLIENT_KNOBS = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "max_attempts": 4,
    "backoff_base": 0.01,
    "backoff_max": 0.05,
}
FAST = Control(retry_delay=0.01)


def platform_settings(server: SandboxServer, **knobs: Any) -> dict[str, Any]:
    return {**server.client_settings(), **CLIENT_KNOBS, **knobs}


@dataclass
class Rig:
    app: App
    server: SandboxServer
    org: OrgFixture
    shop_ids: dict[str, int] = field(default_factory=dict)  # sandbox owner_id → shop id

    @property
    def sandbox(self):  # type: ignore[no-untyped-def]
        return self.server.sandbox

    def bind(self, owner_id: str) -> int:
        """Bind a sandbox shop the way a merchant does: state, consent code, callback."""
        start = binding.start_authorization(self.app, self.org.admin, "pinduoduo", REDIRECT_URI)
        code = self.sandbox.issue_code(owner_id)
        info = binding.complete_authorization(self.app, code, start.state)
        self.shop_ids[owner_id] = info.id
        return info.id

    def bind_all(self) -> list[int]:
        return [self.bind(s.owner_id) for s in self.sandbox.shops]

    def sync(self, shop_id: int, control: Control | None = None, **kwargs: Any) -> PassReport:
        return sync_shop(self.app, self.org.system, shop_id, control=control or FAST, **kwargs)

    def sync_until_done(self, shop_id: int, control: Control | None = None) -> list[PassReport]:
        """Passes until one is neither cut short nor failed (a long first catch-up)."""
        reports = [self.sync(shop_id, control)]
        while reports[-1].status == "ok" and reports[-1].more:
            reports.append(self.sync(shop_id, control))
        return reports

    def settle(self, seconds: int = 600) -> None:
        """Move the platform clock on so every change is older than MIN_LAG."""
        self.sandbox.advance(seconds)

    def shop(self, shop_id: int) -> Shop:
        with self.app.tx() as session:
            return session.get(Shop, shop_id)

    def runs(self, shop_id: int | None = None) -> list[SyncRun]:
        with self.app.tx() as session:
            query = select(SyncRun).order_by(SyncRun.id)
            if shop_id is not None:
                query = query.where(SyncRun.shop_id == shop_id)
            return list(session.scalars(query))

    def order_count(self) -> int:
        with self.app.tx() as session:
            return session.scalar(select(func.count()).select_from(Order))


def make_rig(settings: Settings, server: SandboxServer, org_name: str = "acme", **sync: Any) -> Rig:
    """An app wired to `server` with `[sync]` overrides, and an org with its admin."""
    configured = replace(
        settings,
        platforms={"pinduoduo": platform_settings(server)},
        sync=replace(SyncSettings(read_processes=0), **sync),
    )
    app = open_app(configured)
    return Rig(app, server, OrgFixture(app, org_name, "boss"))


# ---------------------------------------------------------------- ground truth


def expected_state(wire: dict[str, Any]) -> tuple:
    """What orderhub must hold for a sandbox order, through the plugin's own mapping."""
    order = mapping.order_from_payload(wire)
    return (
        order.updated_at,
        order.platform_status or order.status.value,
        order.refund_status.value,
        order.seller_remark,
        order.remark_flag,
        order.buyer_memo,
        order.paid_fen,
        len(order.lines),
    )


def stored_states(app: App, shop_id: int) -> dict[str, tuple]:
    with app.tx() as session:
        lines = dict(
            session.execute(
                select(OrderLine.order_id, func.count())
                .join(Order, Order.id == OrderLine.order_id)
                .where(Order.shop_id == shop_id)
                .group_by(OrderLine.order_id)
            ).all()
        )
        rows = session.execute(
            select(
                Order.id,
                Order.platform_order_no,
                Order.platform_updated_at,
                Order.platform_status,
                Order.refund_status,
                Order.seller_remark,
                Order.flag_color,
                Order.buyer_memo,
                Order.pay_amount_fen,
            ).where(Order.shop_id == shop_id)
        ).all()
    states: dict[str, tuple] = {}
    for row in rows:
        assert row.platform_order_no not in states, f"order {row.platform_order_no} twice"
        states[row.platform_order_no] = (
            clock.as_utc(row.platform_updated_at),
            row.platform_status,
            row.refund_status,
            row.seller_remark,
            row.flag_color,
            row.buyer_memo,
            row.pay_amount_fen,
            lines.get(row.id, 0),
        )
    return states


def truth(rig: Rig, owner_id: str) -> dict[str, dict[str, Any]]:
    return {g["order"]["order_sn"]: g["order"] for g in rig.sandbox.ground_truth(owner_id)}


def mismatches(rig: Rig, owner_id: str, *, before: datetime | None = None) -> list[str]:
    """Orders of the shop whose stored state differs from the sandbox's latest state.

    With `before`, only orders whose latest update is older than it are checked (what a
    cursor at `before` promises); without, every order, and no extra ones either.
    """
    stored = stored_states(rig.app, rig.shop_ids[owner_id])
    problems = []
    gt = truth(rig, owner_id)
    for sn, wire in gt.items():
        updated = parse_beijing(wire["updated_at"])
        if before is not None and updated >= before.timestamp():
            continue
        want = expected_state(wire)
        have = stored.get(sn)
        if have != want:
            problems.append(f"{sn}: stored {have} != latest {want}")
    if before is None:
        problems += [f"{sn}: stored but unknown to the platform" for sn in set(stored) - set(gt)]
    return problems


def stale_before(rig: Rig, owner_id: str, cursor: datetime) -> list[str]:
    """The fast form of `mismatches(before=cursor)` for checks repeated many times:
    compares the platform's `updated_at` only — the upsert stores a version exactly
    when it is newer, so an equal `updated_at` means the latest version is stored."""
    limit = cursor.timestamp()
    with rig.sandbox.lock:
        latest = {
            o.sn: o.updated_ts
            for o in rig.sandbox.store.shop_orders(owner_id)
            if o.updated_ts < limit
        }
    with rig.app.tx() as session:
        stored = dict(
            session.execute(
                select(Order.platform_order_no, Order.platform_updated_at).where(
                    Order.shop_id == rig.shop_ids[owner_id]
                )
            ).all()
        )
    problems = []
    for sn, ts in latest.items():
        have = stored.get(sn)
        if have is None or int(clock.as_utc(have).timestamp()) != ts:
            problems.append(f"{sn}: stored {have}, latest {datetime.fromtimestamp(ts, UTC)}")
    return problems


def quiet(rig: Rig) -> None:
    """Stop everything that changes the sandbox's orders or answers (faults, moving data,
    background activity), so a last sync can be compared with a still picture."""
    rig.sandbox.set_faults("")
    rig.sandbox.set_moving(0)
    with rig.sandbox.lock:
        rig.sandbox.activity.orders_per_hour = rig.sandbox.activity.updates_per_hour = 0.0
