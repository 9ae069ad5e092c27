"""A waybill test rig: the real Pinduoduo client and carrier plugin against the sandbox
gateway over loopback HTTP, an orderhub database (SQLite or PostgreSQL), a shop bound
through OAuth, its awaiting-shipment orders stored by the real order store, and a carrier
account on the shop's waybill subscription.

The comparison the crash and concurrency tests end with: the sandbox's waybill ledger
(the platform's truth) against our rows.

`serve_sandbox` and `open_rig` are the `sandbox_server` and `rig` fixtures of this folder
and of tests/printing, each with its own sandbox size and rig class.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from sqlalchemy import select

from core.app import App
from core.config import Settings
from core.contracts import Contact
from core.models import Order, Waybill
from core.orders import packages
from core.orders.store import upsert_orders
from core.shops import binding
from core.shops.tokens import access_token_for
from core.startup import open_app
from core.waybills import carrier_accounts
from plugins.platforms.pinduoduo.platform import PinduoduoPlatform
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import OrgFixture

REDIRECT_URI = "http://127.0.0.1:8765/pdd/callback"
CLIENT_KNOBS = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "max_attempts": 3,
    "backoff_base": 0.01,
    "backoff_max": 0.05,
    "rate_limit_enabled": False,
}
SENDER = Contact(name="王仓管", phone="13800138000", province="", city="", district="", address="")


def platform_settings(server: SandboxServer) -> dict[str, Any]:
    return {**server.client_settings(), **CLIENT_KNOBS}


def app_for(settings: Settings, server: SandboxServer) -> App:
    return open_app(replace(settings, platforms={"pinduoduo": platform_settings(server)}))


@dataclass
class Rig:
    app: App
    server: SandboxServer
    org: OrgFixture
    shop_ids: dict[str, int] = field(default_factory=dict)

    @property
    def sandbox(self):  # type: ignore[no-untyped-def]
        return self.server.sandbox

    def owner(self, index: int = 0) -> str:
        return self.sandbox.shops[index].owner_id

    def bind(self, index: int = 0) -> int:
        """Bind a sandbox shop as a merchant does (state, consent code, callback)."""
        start = binding.start_authorization(self.app, self.org.admin, "pinduoduo", REDIRECT_URI)
        code = self.sandbox.issue_code(self.owner(index))
        info = binding.complete_authorization(self.app, code, start.state)
        self.shop_ids[self.owner(index)] = info.id
        return info.id

    def order_numbers(self, index: int = 0, *, risky: bool = False) -> list[str]:
        """The shop's awaiting-shipment orders without refund, sorted; only those under
        risk review (receiver hidden) with `risky`, else only those without."""
        return sorted(
            o["order"]["order_sn"]
            for o in self.sandbox.ground_truth(self.owner(index))
            if o["order"]["order_status"] == 1
            and o["order"]["refund_status"] == 1
            and bool(o["order"]["risk_control_status"]) == risky
        )

    def load_orders(
        self, index: int = 0, count: int | None = None, numbers: list[str] | None = None
    ) -> list[int]:
        """Store orders (default: the first `count` plain awaiting-shipment ones) through
        the real client and the real order store; returns their order ids in order."""
        owner = self.owner(index)
        shop_id = self.shop_ids.get(owner) or self.bind(index)
        wanted = numbers if numbers is not None else self.order_numbers(index)[:count]
        token = access_token_for(self.app, shop_id)
        with PinduoduoPlatform(platform_settings(self.server)) as platform:
            found = [platform.order_detail(token, sn) for sn in wanted]
        with self.app.tx() as session:
            upsert_orders(
                session, self.app.keyring, org_id=self.org.org_id, shop_id=shop_id, orders=found
            )
        with self.app.tx() as session:
            rows = session.execute(
                select(Order.platform_order_no, Order.id).where(Order.shop_id == shop_id)
            ).all()
        ids = dict(rows)
        return [ids[sn] for sn in wanted]

    def packages(
        self, index: int = 0, count: int | None = None, numbers: list[str] | None = None
    ) -> list[int]:
        """Orders loaded and packed, one package each: the package ids."""
        order_ids = self.load_orders(index, count, numbers)
        result = packages.ensure_packages(self.app, self.org.admin, order_ids)
        assert not result.refused, result.refused
        return [result.package_of_order[o] for o in order_ids]

    def account(
        self, wp_code: str = "YTO", name: str | None = None, index: int = 0, **options: Any
    ) -> carrier_accounts.AccountInfo:
        owner = self.owner(index)
        shop_id = self.shop_ids.get(owner) or self.bind(index)
        return carrier_accounts.create_account(
            self.app,
            self.org.admin,
            name=name or f"{wp_code.lower()}-{index}",
            carrier="pinduoduo-waybill",
            wp_code=wp_code,
            sender=SENDER,
            shop_id=shop_id,
            **options,
        )

    # ---------------------------------------------------------------- ledgers

    def platform_waybills(self, index: int = 0) -> dict[str, str]:
        """The sandbox's ledger for one shop: waybill number → allocated | cancelled."""
        owner = self.owner(index)
        book = self.sandbox.waybills
        with book.lock:
            return {w.waybill_code: w.status for w in book.waybills.values() if w.owner_id == owner}

    def our_waybills(self) -> dict[str, str]:
        """Our rows: number → status (a number appears once per row; the last wins)."""
        with self.app.tx() as session:
            rows = session.execute(
                select(Waybill.number, Waybill.status).order_by(Waybill.id)
            ).all()
        return dict(rows)

    def active_by_package(self) -> Counter:
        with self.app.tx() as session:
            rows = session.scalars(
                select(Waybill.package_id).where(
                    Waybill.status.in_(("allocated", "printed", "cancelling"))
                )
            ).all()
        return Counter(rows)

    def assert_ledgers_agree(self, index: int = 0) -> None:
        """Every number active at the platform is active in orderhub and vice versa."""
        platform = self.platform_waybills(index)
        ours = self.our_waybills()
        active_platform = {n for n, s in platform.items() if s == "allocated"}
        active_ours = {n for n, s in ours.items() if s in ("allocated", "printed")}
        assert active_platform == active_ours
        assert max(self.active_by_package().values(), default=0) <= 1


R = TypeVar("R", bound=Rig)


def serve_sandbox(config: SandboxConfig) -> Iterator[SandboxServer]:
    """A sandbox gateway for the fixture's scope (a module)."""
    with SandboxServer(config) as server:
        yield server


def open_rig(
    kind: type[R], settings: Settings, server: SandboxServer, org: OrgFixture
) -> Iterator[R]:
    """A rig of class `kind` for one test, on the sandbox reset to its first state (so the
    test's package ids, which restart at 1, meet no waybill of an earlier test)."""
    server.sandbox.reset()
    application = app_for(settings, server)
    yield kind(application, server, org)
    application.close()
