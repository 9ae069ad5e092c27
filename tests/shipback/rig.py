"""A ship-back rig: the waybill rig's sandbox gateway, bound shop and real client, plus
packages drawn and (optionally) printed, confirmed, and drained by the real drain.

`outbox()` and `sandbox_orders()` are what the tests compare: our rows against the
platform's truth (each order's status, tracking number and logistics id, and how many
`pdd.logistics.online.send` calls it saw, applied or recognised as repeats).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from core.config import Settings, ShipbackSettings
from core.models import Alert, Order, Package, PackageLine, ShipmentOutbox, Waybill
from core.shipback import confirm, drain
from core.startup import open_app
from core.waybills import allocation, carrier_accounts
from core.waybills.query import mark_printed
from plugins.platforms.pinduoduo.sandbox import SandboxServer
from tests.conftest import OrgFixture
from tests.packages.rig import MergeRig
from tests.waybills.rig import platform_settings
from tests.waybills.test_manual import SENDER as WAREHOUSE

#: Retries due at once, short claims: the tests drive time themselves.
SHIPBACK = ShipbackSettings(lease_seconds=20, batch_size=50, retry_base_seconds=0)


class ShipRig(MergeRig):
    account_id: int | None = None

    def order_numbers(self, index: int = 0, *, risky: bool = False) -> list[str]:
        """Orders the platform lets ship: also 成团 (confirmed) and not paused."""
        shippable = []
        for sn in super().order_numbers(index, risky=risky):
            data = self.platform_order(sn)
            paused = any(t["name"] == "ship_hold" and t["value"] for t in data["order_tag_list"])
            if data["confirm_status"] == 1 and not paused:
                shippable.append(sn)
        return shippable

    def carrier(self) -> carrier_accounts.AccountInfo:
        if self.account_id is None:
            info = self.account("YTO")
            self.account_id = info.id
            return info
        return carrier_accounts.get_account(self.app, self.org.admin, self.account_id)

    def draw(self, package_ids: list[int], *, printed: bool = False) -> dict[int, str]:
        """Waybills for the packages (and labels counted printed): package id → number."""
        report = allocation.allocate(self.app, self.org.admin, package_ids, self.carrier().id)
        numbers = {o.package_id: o.number for o in report.outcomes if o.outcome == "allocated"}
        assert len(numbers) == len(package_ids), report.outcomes
        if printed:
            with self.app.tx() as session:
                for waybill_id in session.scalars(
                    select(Waybill.id).where(Waybill.package_id.in_(package_ids))
                ):
                    mark_printed(session, waybill_id)
        return numbers

    def ready(self, count: int, *, printed: bool = False, index: int = 0) -> dict[int, str]:
        """`count` single-order packages with waybills: package id → number."""
        return self.draw(self.packages(index, count), printed=printed)

    def manual(self, wp_code: str = "YTO"):  # type: ignore[no-untyped-def]
        """A carrier account for typed numbers, mapped to the platform's logistics id."""
        return carrier_accounts.create_account(
            self.app,
            self.org.admin,
            name=f"manual-{wp_code}",
            carrier="manual",
            wp_code=wp_code,
            sender=WAREHOUSE,
            platform="pinduoduo",
        )

    def confirm(self, package_ids: list[int]) -> confirm.ConfirmResult:
        return confirm.confirm_packages(self.app, self.org.admin, package_ids=package_ids)

    def drain(self, **kwargs: Any) -> drain.DrainReport:
        return drain.drain(self.app, "test-worker", **kwargs)

    def outbox(self) -> dict[str, ShipmentOutbox]:
        with self.app.tx() as session:
            rows = session.scalars(select(ShipmentOutbox)).all()
            session.expunge_all()
        return {r.order_number: r for r in rows}

    def package_status(self, package_id: int) -> str:
        with self.app.tx() as session:
            return session.get(Package, package_id).status

    def order(self, number: str) -> Order:
        with self.app.tx() as session:
            order = session.scalars(select(Order).where(Order.platform_order_no == number)).one()
            session.expunge(order)
            return order

    def numbers_of(self, package_ids: list[int]) -> list[str]:
        """The order numbers of single-order packages, in the same order."""
        with self.app.tx() as session:
            rows = session.execute(
                select(PackageLine.package_id, Order.platform_order_no)
                .join(Order, Order.id == PackageLine.order_id)
                .where(PackageLine.package_id.in_(package_ids))
            ).all()
        by_package = dict(rows)
        return [by_package[p] for p in package_ids]

    def alerts(self, kind: str) -> list[Alert]:
        with self.app.tx() as session:
            found = session.scalars(select(Alert).where(Alert.kind == kind)).all()
            session.expunge_all()
            return list(found)

    def platform_order(self, sn: str) -> dict[str, Any]:
        return self.sandbox.store.get(sn).data

    def sends(self, sn: str) -> dict[str, int]:
        return self.sandbox.shipments().get(sn, {})


def open_ship_rig(
    settings: Settings,
    server: SandboxServer,
    org: OrgFixture,
    shipback: ShipbackSettings = SHIPBACK,
    **client: Any,
) -> Iterator[ShipRig]:
    """A rig on the sandbox reset to its first state, the client tuned by `client`."""
    server.sandbox.reset()
    configured = replace(
        settings,
        platforms={"pinduoduo": {**platform_settings(server), **client}},
        shipback=shipback,
    )
    application = open_app(configured)
    yield ShipRig(application, server, org)
    application.close()
