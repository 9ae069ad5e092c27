"""The world of the print, pack and shipping screens' tests: the shipping tests' shop of
hand-typed orders (`tests.shipping.conftest.make_world`) with typed waybills on a
`manual` carrier account, a `file` printer writing PDFs, ship-back rows as the drain
leaves them, and alerts — every time the frozen clock of `tests.tui.conftest`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from core.alerts.raising import raise_alert
from core.models import CarrierAccount, PackageLine, ShipmentOutbox
from core.printing.printers import add_printer
from core.shipping.tracking import set_tracking_number
from tests.conftest import OrgFixture
from tests.shipping.conftest import LID, ShipWorld, make_world

PRINTER = "仓库PDF"


@dataclass
class OpsWorld:
    ship: ShipWorld
    folder: Path
    orders: list[str] = field(default_factory=list)
    waybills: dict[str, str] = field(default_factory=dict)  # order → waybill

    @property
    def app(self):  # type: ignore[no-untyped-def]
        return self.ship.app

    def labelled(self, count: int, *lines) -> list[str]:  # type: ignore[no-untyped-def]
        """`count` orders with a typed waybill each (SF100000000000n)."""
        made = []
        for _ in range(count):
            number = self.ship.order(*lines)
            waybill = f"SF{1000000000001 + len(self.orders):013d}"
            set_tracking_number(self.app, self.ship.admin, waybill, "顺丰", order_number=number)
            self.orders.append(number)
            self.waybills[number] = waybill
            made.append(number)
        return made

    def outbox_row(self, number: str, state: str, error_class: str, error: str) -> None:
        """The order's package shipped and its confirmation in `state`, as the drain left it."""
        package = self.ship.package(number)
        self.ship.set_package(package, status="shipped")
        with self.app.tx() as session:
            order_id = session.scalar(
                select(PackageLine.order_id).where(PackageLine.package_id == package)
            )
            session.add(
                ShipmentOutbox(
                    org_id=self.ship.org.org_id,
                    shop_id=self.ship.shop_id,
                    order_id=order_id,
                    order_number=number,
                    package_id=package,
                    logistics_company_id="44",
                    tracking_number=self.waybills.get(number, ""),
                    state=state,
                    attempts=1 if error_class else 0,
                    last_error_class=error_class,
                    last_error=error,
                )
            )

    def alert(self, kind: str, severity: str, message: str) -> int:
        return raise_alert(self.app, self.ship.org.org_id, kind, severity, message).id


def ops_world(app, acme: OrgFixture, folder: Path, *, create: bool = True) -> OpsWorld:  # type: ignore[no-untyped-def]
    """`create`: the printer makes its folder (as the demo's does); without it a missing
    folder is a printer fault."""
    ship = make_world(app, acme)
    with app.tx() as session:  # SF's id at Pinduoduo: ship-back needs it
        session.execute(update(CarrierAccount).values(logistics_company_id="44"))
    add_printer(
        app,
        acme.admin,
        name=PRINTER,
        driver="file",
        settings={"folder": str(folder), "fsync": "false", "create": create},
        language="pdf",
    )
    return OpsWorld(ship, folder)


__all__ = ["LID", "PRINTER", "OpsWorld", "ops_world"]
