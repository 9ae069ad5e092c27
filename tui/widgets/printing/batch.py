"""`BatchForm`: what a print batch is — the orders (typed, scanned, or handed over by the
order desk), the kind of document, the template, and one or more printers (a batch over
several printers is split between them in blocks, as `orderhub print` does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Select, SelectionList

from core.printing.jobs import JOB_KINDS
from core.printing.printers import PrinterConfig
from core.printing.template_store import TemplateInfo
from tui.i18n import t
from tui.widgets.common.inputs import FieldInput

#: The template Select's value for "the job chooses" (carrier account's, printer media's).
AUTOMATIC = "auto"


@dataclass(frozen=True)
class Batch:
    orders: tuple[str, ...]
    kind: str
    template: str | None
    printers: tuple[str, ...]


class BatchForm(Vertical):
    def compose(self) -> ComposeResult:
        yield Label(t("printing.orders"), classes="field-label")
        yield FieldInput(
            placeholder=t("printing.orders.placeholder"), id="batch-orders", compact=True
        )
        yield Label(t("printing.kind"), classes="field-label")
        kinds = [(t(f"printing.kind.{k}"), k) for k in JOB_KINDS]
        yield Select(kinds, value="label", allow_blank=False, id="batch-kind", compact=True)
        yield Label(t("printing.template"), classes="field-label")
        auto = [(t("printing.template.auto"), AUTOMATIC)]
        yield Select(auto, value=AUTOMATIC, allow_blank=False, id="batch-template", compact=True)
        yield Label(t("printing.printers"), classes="field-label")
        yield SelectionList[str](id="batch-printers")

    def set_orders(self, numbers: Sequence[str]) -> None:
        self.query_one("#batch-orders", FieldInput).value = " ".join(numbers)

    def set_printers(self, printers: Sequence[PrinterConfig]) -> None:
        chosen = self.query_one("#batch-printers", SelectionList)
        chosen.clear_options()
        for index, p in enumerate(printers):
            label = f"{p.name}  [dim]{p.driver} · {p.language}[/dim]"
            if not p.enabled:
                label += f"  [red]{t('printing.printer.disabled')}[/red]"
            chosen.add_option((label, p.name, index == 0 and p.enabled))

    def set_templates(self, templates: Sequence[TemplateInfo]) -> None:
        select = self.query_one("#batch-template", Select)
        options = [(t("printing.template.auto"), AUTOMATIC)]
        options += [(f"{i.name}  {i.width_mm:g}×{i.height_mm:g}mm", i.name) for i in templates]
        select.set_options(options)
        select.value = AUTOMATIC

    @property
    def kind(self) -> str:
        return str(self.query_one("#batch-kind", Select).value)

    def batch(self, kind: str | None = None) -> Batch:
        text = self.query_one("#batch-orders", FieldInput).value
        numbers = tuple(dict.fromkeys(n for n in text.replace(",", " ").split() if n))
        template = str(self.query_one("#batch-template", Select).value)
        printers = tuple(self.query_one("#batch-printers", SelectionList).selected)
        chosen = kind or self.kind
        named = None if template == AUTOMATIC or chosen != self.kind else template
        return Batch(numbers, chosen, named, printers)
