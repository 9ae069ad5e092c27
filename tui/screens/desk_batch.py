"""The desk's selection and batch actions, each one call of an existing core service.

With nothing selected an action works on the highlighted order. The order numbers are
resolved in the worker thread (a whole filter through `matching_numbers`, at most
`MAX_ORDERS`); the outcome — how many were done and the first refusal — is one notice,
then the selection clears and the table and counts are read again.

Mixed into `DeskScreen`, which provides `selection`, `table`, `total`, `query_text`,
`reload` and `apply_saved`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from core.actor import Actor
from core.app import App as CoreApp
from core.assignment.assigning import set_assignment
from core.auditing import decisions
from core.desk import holds, packing, saved_filters, search, tags
from core.desk.lookup import MAX_ORDERS
from core.orders import packages
from core.shipback.confirm import confirm_packages
from core.waybills.allocation import allocate
from core.waybills.carrier_accounts import list_accounts
from tui.actions import ScreenAction
from tui.errors import Reported
from tui.i18n import t
from tui.screens.dialogs import ChoiceDialog, ConfirmDialog, TextDialog
from tui.widgets.desk.selection import Selection

if TYPE_CHECKING:
    from tui.screens.desk import DeskScreen

BATCH_ACTIONS = (
    ScreenAction("toggle", "space", "batch.toggle", "batch.toggle.help"),
    ScreenAction("extend_down", "shift+down", "batch.extend_down", "batch.extend_down.help", False),
    ScreenAction("extend_up", "shift+up", "batch.extend_up", "batch.extend_up.help", False),
    ScreenAction("select_all", "ctrl+a", "batch.select_all", "batch.select_all.help", False),
    ScreenAction("clear", "escape", "batch.clear", "batch.clear.help", False),
    ScreenAction("approve", "a", "batch.approve", "batch.approve.help"),
    ScreenAction("reject", "x", "batch.reject", "batch.reject.help", False),
    ScreenAction("tag", "t", "batch.tag", "batch.tag.help", False),
    ScreenAction("hold", "h", "batch.hold", "batch.hold.help", False),
    ScreenAction("release", "u", "batch.release", "batch.release.help", False),
    ScreenAction("merge", "m", "batch.merge", "batch.merge.help", False),
    ScreenAction("assign", "c", "batch.assign", "batch.assign.help", False),
    ScreenAction("allocate", "w", "batch.allocate", "batch.allocate.help", False),
    ScreenAction("print", "p", "batch.print", "batch.print.help"),
    ScreenAction("ship", "s", "batch.ship", "batch.ship.help"),
    ScreenAction("saved_filters", "f", "batch.saved_filters", "batch.saved_filters.help"),
    ScreenAction("save_filter", "ctrl+s", "batch.save_filter", "batch.save_filter.help", False),
)


def first_refusal(refused: dict[str, str] | Sequence[tuple[str, str]]) -> str:
    """A second line for a notice naming how many were refused and the first reason
    ("2 单未处理：123: on hold"), or "" when none was."""
    pairs = list(refused.items()) if isinstance(refused, dict) else list(refused)
    if not pairs:
        return ""
    first = f"{pairs[0][0]}: {pairs[0][1]}"
    return "\n" + t("batch.refused_note", count=len(pairs), first=first)


class BatchActions:
    # ------------------------------------------------------------ selecting

    def action_toggle(self: DeskScreen) -> None:
        row = self.table.current
        if row is not None:
            self.selection.toggle(row)
            self.table.mark(self.selection)
            self.table.action_cursor_down()
            self._status()

    def _extend(self: DeskScreen, step: int) -> None:
        row = self.table.current
        if row is None:
            return
        self.selection.pick([row])
        self.table.move_cursor(row=self.table.cursor_row + step)
        moved = self.table.current
        if moved is not None:
            self.selection.pick([moved])
        self.table.mark(self.selection)
        self._status()

    def action_extend_down(self: DeskScreen) -> None:
        self._extend(1)

    def action_extend_up(self: DeskScreen) -> None:
        self._extend(-1)

    def action_select_all(self: DeskScreen) -> None:
        self.selection.select_every(self.query_text, self.total or self.table.row_count)
        self.table.mark(self.selection)
        self._status()

    def action_clear(self: DeskScreen) -> None:
        self.selection.clear()
        self.table.mark(self.selection)
        self._status()

    # ------------------------------------------------------------ running a batch

    def _targets(self: DeskScreen) -> Selection | None:
        if self.selection.count:
            return Selection(
                dict(self.selection.picked), self.selection.every, self.selection.count
            )
        row = self.table.current
        if row is None:
            self.hub.inform(t("batch.nothing"))
            return None
        picked = Selection()
        picked.toggle(row)
        return picked

    def _batch(self: DeskScreen, work: Callable[[list[str]], str]) -> None:
        """Run `work(numbers)` in a thread; its answer is the notice."""
        targets = self._targets()
        if targets is None:
            return
        hub = self.hub

        def run() -> str:
            matching = lambda query: search.matching_numbers(  # noqa: E731
                hub.core, hub.actor, query, most=MAX_ORDERS
            )
            return work(targets.numbers(matching))

        hub.in_background(run, self._batch_done, group="desk.batch", exclusive=False)

    def _batch_done(self: DeskScreen, message: str) -> None:
        self.hub.inform(message, t("batch.done"))
        self.selection.clear()
        self.reload()

    def _ask(self: DeskScreen, dialog: object, then: Callable[[str], None]) -> None:
        def answered(answer: object) -> None:
            if answer:
                then(str(answer))

        self.app.push_screen(dialog, answered)  # type: ignore[arg-type]

    # ------------------------------------------------------------ the actions

    def action_approve(self: DeskScreen) -> None:
        core, actor = self.hub.core, self.hub.actor
        self._batch(lambda numbers: _decided(decisions.approve(core, actor, numbers), "approved"))

    def action_reject(self: DeskScreen) -> None:
        core, actor = self.hub.core, self.hub.actor

        def reject(reason: str) -> None:
            self._batch(
                lambda numbers: _decided(decisions.reject(core, actor, numbers, reason), "rejected")
            )

        self._ask(TextDialog(t("batch.reject"), t("batch.reason")), reject)

    def action_tag(self: DeskScreen) -> None:
        core, actor = self.hub.core, self.hub.actor

        def tag(text: str) -> None:
            name, remove = text.removeprefix("-"), text.startswith("-")

            def work(numbers: list[str]) -> str:
                if remove:
                    done = tags.tag_orders(core, actor, numbers, remove=[name])
                    return t("batch.untagged", count=len(done.removed.get(name, [])), tag=name)
                done = tags.tag_orders(core, actor, numbers, add=[name])
                return t("batch.tagged", count=len(done.added.get(name, [])), tag=name)

            self._batch(work)

        self._ask(TextDialog(t("batch.tag"), t("batch.tag.prompt")), tag)

    def action_hold(self: DeskScreen) -> None:
        core, actor = self.hub.core, self.hub.actor

        def hold(reason: str) -> None:
            self._batch(
                lambda numbers: _held(
                    holds.hold_orders(core, actor, numbers, reason=reason), "held"
                )
            )

        self._ask(TextDialog(t("batch.hold"), t("batch.reason")), hold)

    def action_release(self: DeskScreen) -> None:
        core, actor = self.hub.core, self.hub.actor
        self._batch(lambda numbers: _held(holds.release_orders(core, actor, numbers), "released"))

    def action_merge(self: DeskScreen) -> None:
        core, actor = self.hub.core, self.hub.actor
        count = self.selection.count or 1

        def merge(_: str) -> None:
            self._batch(
                lambda numbers: t("batch.merged", package=packing.merge(core, actor, numbers).id)
            )

        self._ask(ConfirmDialog(t("batch.merge"), t("batch.merge.confirm", count=count)), merge)

    def action_assign(self: DeskScreen) -> None:
        core, actor = self.hub.core, self.hub.actor

        def assign(account: str) -> None:
            self._batch(
                lambda numbers: t(
                    "batch.assigned",
                    count=set_assignment(core, actor, numbers, account, None),
                    account=account,
                )
            )

        self._choose_account(assign)

    def action_allocate(self: DeskScreen) -> None:
        core, actor = self.hub.core, self.hub.actor

        def draw(account: str) -> None:
            def work(numbers: list[str]) -> str:
                report = allocate(core, actor, _package_ids(core, actor, numbers), account)
                counts = {k: len(report.of(k)) for k in ("allocated", "kept", "failed")}
                return t("batch.allocated", **counts)

            self._batch(work)

        self._choose_account(draw)

    def action_print(self: DeskScreen) -> None:
        """Hand the selection to the print screen (printers, template, kind, progress)."""
        targets = self._targets()
        if targets is None:
            return
        hub = self.hub

        def numbers() -> list[str]:
            matching = lambda query: search.matching_numbers(  # noqa: E731
                hub.core, hub.actor, query, most=MAX_ORDERS
            )
            return targets.numbers(matching)

        def opened(found: list[str]) -> None:
            from tui.screens.printing import open_print  # late: loaded when first used

            if not isinstance(open_print(hub, found), Reported):
                self.selection.clear()

        hub.in_background(numbers, opened, group="desk.batch", exclusive=False)

    def action_ship(self: DeskScreen) -> None:
        core, actor = self.hub.core, self.hub.actor
        count = self.selection.count or 1

        def ship(_: str) -> None:
            def work(numbers: list[str]) -> str:
                done = confirm_packages(core, actor, package_ids=_package_ids(core, actor, numbers))
                refused = {str(k): v for k, v in done.refused.items()}
                message = t("batch.shipped", count=len(done.confirmed), rows=done.outbox_rows)
                return message + first_refusal(refused)

            self._batch(work)

        self._ask(ConfirmDialog(t("batch.ship"), t("batch.ship.confirm", count=count)), ship)

    def _choose_account(self: DeskScreen, then: Callable[[str], None]) -> None:
        hub = self.hub
        found = hub.attempt(lambda: list_accounts(hub.core, hub.actor))
        if isinstance(found, Reported):
            return
        choices = [(a.name, f"{a.name}  ({a.carrier})") for a in found]
        dialog = ChoiceDialog(t("batch.choose_account"), choices, empty=t("batch.no_accounts"))
        self._ask(dialog, then)

    # ------------------------------------------------------------ saved filters

    def action_save_filter(self: DeskScreen) -> None:
        hub, text = self.hub, self.filter_text

        def save(name: str) -> None:
            saved = hub.attempt(lambda: saved_filters.save_filter(hub.core, hub.actor, name, text))
            if not isinstance(saved, Reported):
                hub.inform(t("batch.saved", name=saved.name))

        self._ask(TextDialog(t("batch.save_filter"), t("batch.filter_name")), save)

    def action_saved_filters(self: DeskScreen) -> None:
        hub = self.hub
        found = hub.attempt(lambda: saved_filters.list_filters(hub.core, hub.actor))
        if isinstance(found, Reported):
            return
        choices = [
            (
                f.name if f.mine else f"{f.owner}/{f.name}",
                f"{f.name}  [dim]{f.query}  "
                + (t("batch.mine") if f.mine else t("batch.shared_by", owner=f.owner))
                + "[/dim]",
            )
            for f in found
        ]
        dialog = ChoiceDialog(t("batch.saved_filters"), choices, empty=t("batch.no_saved"))
        self._ask(dialog, self.apply_saved)


def _decided(report: decisions.DecisionReport, outcome: str) -> str:
    refused = [(d.number, d.note) for d in report.refused]
    return t(f"batch.{outcome}", count=len(report.applied)) + first_refusal(refused)


def _held(result: holds.HoldResult, outcome: str) -> str:
    return t(f"batch.{outcome}", count=len(result.changed)) + first_refusal(result.refused)


def _package_ids(core: CoreApp, actor: Actor, numbers: list[str]) -> list[int]:
    """The packages of the orders (one made for an order that has none, as printing does)."""
    order_ids = packages.packages_for_orders(core, actor, numbers)
    packed = packages.ensure_packages(core, actor, list(order_ids.values()))
    return list(dict.fromkeys(packed.package_of_order.values()))
