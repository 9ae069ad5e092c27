"""A print-job test rig: the waybill rig (sandbox gateway, shop bound through OAuth, orders
synced by the real client, a carrier account on the shop's subscription) plus printers.

Printers here are real drivers: `network` against a loopback listener, `file` into a
temporary folder, `spooler` into a CUPS raw queue. `text_printer` is the shape the stream
checks need (see `streams.py`): TSPL with a resident font and native barcodes, and the
text-mode template imported as the org's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from core.models import PrintJobItem
from core.printing import printers, template_store
from core.printing.printers import PrinterConfig
from tests.waybills.rig import Rig

FIXTURES = Path(__file__).with_name("fixtures")
TEXT_TEMPLATE = "label-text-76x130"


class PrintRig(Rig):
    def printer(
        self, name: str, driver: str, language: str | None = None, **kw: Any
    ) -> PrinterConfig:
        settings = kw.pop("settings", {})
        return printers.add_printer(
            self.app,
            self.org.admin,
            name=name,
            driver=driver,
            settings=settings,
            language=language,
            **kw,
        )

    def network_printer(self, name: str, port: int, **kw: Any) -> PrinterConfig:
        settings = {"host": "127.0.0.1", "port": port, "connect_timeout": 1, "write_timeout": 5}
        return self.printer(
            name, "network", "tspl", settings={**settings, **kw.pop("settings", {})}, **kw
        )

    def text_printer(self, name: str, port: int, **kw: Any) -> PrinterConfig:
        """A TSPL network printer whose labels carry their waybill number in clear."""
        self.text_template()
        return self.network_printer(
            name, port, cjk_font="TSS24.BF2", render={"native_barcode": True}, **kw
        )

    def text_template(self) -> str:
        with self.app.tx() as session:
            template_store.seed_builtins(session)
        info = template_store.import_template(
            self.app, self.org.admin, (FIXTURES / f"{TEXT_TEMPLATE}.json").read_bytes()
        )
        return info.name

    def item_states(self, job_id: int) -> dict[str, int]:
        with self.app.tx() as session:
            rows = session.execute(
                select(PrintJobItem.state, func.count())
                .where(PrintJobItem.job_id == job_id)
                .group_by(PrintJobItem.state)
            ).all()
        return dict(rows)
