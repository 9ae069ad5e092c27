"""The stock screen's changes, each one call of `core.stock` on what a dialog typed:
a receipt (入库), a count (盘点) or a transfer (调拨) of one SKU, prefilled from the row
under the cursor; mapping the unmapped platform SKU under the cursor (bundles as
`CODE*QTY`); and the ledger's proof (`levels.verify`), shown in a dialog.

A dialog closes only when the call succeeded; a refusal — the input, the core, a missing
`stock.adjust` — is told in a notice and the dialog keeps what was typed. The screen's
lists are read again when the dialog closes (`StockScreen.on_screen_resume`).

Mixed into `StockScreen`, which provides `table`, `warehouse`, `load` and `_status`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.widgets import Static

from core import clock
from core.stock import levels, mapping, operations
from core.stock.catalogue import SkuInfo
from core.stock.levels import Difference, LevelInfo
from core.stock.mapping import UnmappedSku
from core.stock.operations import Line, Posted
from tui.errors import Reported
from tui.i18n import t
from tui.widgets.settings.form import Field
from tui.widgets.stock import entry
from tui.widgets.stock.dialogs import EntryDialog, VerifyDialog

if TYPE_CHECKING:
    from tui.screens.stock import StockScreen


class StockActions:
    def _row_code_and_house(self: StockScreen) -> tuple[str, str]:
        """The SKU code and warehouse of the row under the cursor, to prefill a dialog."""
        row = self.table().current
        if isinstance(row, LevelInfo):
            return row.code, row.warehouse
        if isinstance(row, SkuInfo):
            return row.code, self.warehouse or ""
        return "", self.warehouse or ""

    def action_receive(self: StockScreen) -> None:
        code, house = self._row_code_and_house()
        fields = _fields(code, "stock.field.quantity", ("warehouse", house))
        self.app.push_screen(EntryDialog(t("stock.receive"), fields, self._receive))

    def action_count(self: StockScreen) -> None:
        code, house = self._row_code_and_house()
        fields = _fields(code, "stock.field.counted", ("warehouse", house))
        self.app.push_screen(EntryDialog(t("stock.count"), fields, self._count))

    def action_transfer(self: StockScreen) -> None:
        code, house = self._row_code_and_house()
        fields = _fields(code, "stock.field.quantity", ("source", house), ("destination", ""))
        self.app.push_screen(EntryDialog(t("stock.transfer"), fields, self._transfer))

    def _receive(self: StockScreen, typed: dict[str, str]) -> bool:
        return self._operate(typed, operations.receive, "stock.field.quantity", "stock.received")

    def _count(self: StockScreen, typed: dict[str, str]) -> bool:
        return self._operate(typed, operations.count, "stock.field.counted", "stock.counted")

    def _operate(
        self: StockScreen,
        typed: dict[str, str],
        operation: Callable[..., Posted],
        field: str,
        said: str,
    ) -> bool:
        """A receipt or a count of the one line typed, at the warehouse typed (or the
        default); False (and a notice) when the input or the core refuses it."""
        hub = self.hub
        house = typed["warehouse"].strip() or None

        def run() -> tuple[Line, Posted]:
            line = Line(
                entry.required(typed["code"], "stock.field.code"),
                entry.quantity(typed["quantity"], field),
            )
            posted = operation(
                hub.core,
                hub.actor,
                [line],
                warehouse=house,
                reference=typed["reference"].strip(),
                note=typed["note"].strip(),
            )
            return line, posted

        done = hub.attempt(run)
        if isinstance(done, Reported):
            return False
        line, posted = done
        where = house or t("stock.default_warehouse")
        hub.inform(
            t(said, code=line.code, quantity=line.quantity, units=posted.units, warehouse=where)
        )
        return True

    def _transfer(self: StockScreen, typed: dict[str, str]) -> bool:
        hub = self.hub

        def run() -> Line:
            line = Line(
                entry.required(typed["code"], "stock.field.code"),
                entry.quantity(typed["quantity"], "stock.field.quantity"),
            )
            operations.transfer(
                hub.core,
                hub.actor,
                [line],
                source=entry.required(typed["source"], "stock.field.source"),
                destination=entry.required(typed["destination"], "stock.field.destination"),
                reference=typed["reference"].strip(),
                note=typed["note"].strip(),
            )
            return line

        line = hub.attempt(run)
        if isinstance(line, Reported):
            return False
        source, destination = typed["source"].strip(), typed["destination"].strip()
        hub.inform(
            t(
                "stock.transferred",
                code=line.code,
                quantity=line.quantity,
                source=source,
                destination=destination,
            )
        )
        return True

    # ------------------------------------------------------------ mapping and the proof

    def action_map(self: StockScreen) -> None:
        row = self.table("unmapped").current
        if not isinstance(row, UnmappedSku):
            return
        intro = t(
            "stock.map.intro",
            platform=row.platform,
            sku=row.platform_sku_id,
            title=row.title,
            orders=row.orders,
        )
        placeholder = t("stock.field.parts.placeholder")
        fields = [Field("parts", t("stock.field.parts"), placeholder=placeholder)]
        dialog = EntryDialog(t("stock.map"), fields, partial(self._map, row), intro=intro)
        self.app.push_screen(dialog)

    def _map(self: StockScreen, row: UnmappedSku, typed: dict[str, str]) -> bool:
        hub = self.hub

        def run() -> mapping.MappingInfo:
            found = entry.parts(typed["parts"])
            return mapping.map_platform_sku(
                hub.core, hub.actor, row.platform, row.platform_sku_id, found
            )

        done = hub.attempt(run)
        if isinstance(done, Reported):
            return False
        hub.inform(t("stock.mapped", sku=done.platform_sku_id, parts=entry.parts_text(done.parts)))
        return True

    def action_verify(self: StockScreen) -> None:
        hub = self.hub
        core, actor = hub.core, hub.actor
        self.query_one("#stock-status", Static).update(t("stock.verify.running"))
        hub.in_background(
            lambda: levels.verify(core, actor),
            self._verified,
            group="stock-verify",
            failed=self._status,
        )

    def _verified(self: StockScreen, differences: list[Difference]) -> None:
        self._status()
        checked = t("stock.verify.checked", time=clock.local_text(clock.now()))
        self.app.push_screen(VerifyDialog(differences, checked))


def _fields(code: str, quantity: str, *houses: tuple[str, str]) -> list[Field]:
    """A dialog's fields: the SKU, its quantity, the warehouse(s), a reference, a note."""
    found = [
        Field("code", t("stock.field.code"), code),
        Field("quantity", t(quantity)),
    ]
    for key, value in houses:
        placeholder = t("stock.field.warehouse.placeholder") if key == "warehouse" else ""
        found.append(Field(key, t(f"stock.field.{key}"), value, placeholder))
    found.append(
        Field(
            "reference",
            t("stock.field.reference"),
            placeholder=t("stock.field.reference.placeholder"),
        )
    )
    found.append(Field("note", t("stock.field.note")))
    return found
