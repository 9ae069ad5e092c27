"""A small printing world without a sandbox (for the API's tests and the services they
call): two orders of acme with typed waybills (a `manual` carrier account), the text-mode
label template, and a TSPL network printer on a loopback listener (the recording TCP 9100
double of tests/printers)."""

from __future__ import annotations

from dataclasses import dataclass

from core.app import App
from core.printing import printers, template_store
from tests.conftest import OrgFixture
from tests.packages.desk import WANG, Desk, make_order
from tests.printers.doubles.tcp_printer import LoopbackPrinter
from tests.printing.rig import FIXTURES, TEXT_TEMPLATE

NUMBERS = {"A-1": "SF1234567890", "A-2": "SF1234567891"}


@dataclass
class PrintWorld:
    app: App
    org: OrgFixture
    desk: Desk
    listener: LoopbackPrinter

    def job_body(self, **extra: object) -> dict[str, object]:
        return {"orders": list(NUMBERS), "printers": ["gp-1"], "template": TEXT_TEMPLATE, **extra}


def make_world(app: App, org: OrgFixture, listener: LoopbackPrinter) -> PrintWorld:
    desk = Desk(app, org)
    shop = desk.shop()
    desk.store(shop, make_order("A-1"), make_order("A-2", receiver=WANG))
    desk.manual_account()
    for number, tracking in NUMBERS.items():
        desk.waybill(number, tracking)
    template_store.import_template(
        app, org.admin, (FIXTURES / f"{TEXT_TEMPLATE}.json").read_bytes()
    )
    printers.add_printer(
        app,
        org.admin,
        name="gp-1",
        driver="network",
        settings={"host": "127.0.0.1", "port": listener.port, "connect_timeout": 1},
        language="tspl",
        cjk_font="TSS24.BF2",
        render={"native_barcode": True},
    )
    return PrintWorld(app, org, desk, listener)
