"""One printer's share of a print job: read a page of queued items, prepare their
documents, record `sending`, send, record `done` — in position order.

Memory stays flat whatever the batch: items are read a page at a time by position (a
keyset, so resuming starts at the first unfinished one), at most a few documents are in
flight (rendered ahead, in the render pool when there is one, while the current one is
recorded and sent), and a document is dropped once sent. A render failure fails that item
only (named, with the reason) and the batch goes on; a printer failure stops this printer
and pauses the job: the document goes back to `queued` when the driver says no byte of it
left, and becomes `uncertain` when some may have (drivers flag that with
`uncertain=True`; an unexpected exception from a plugin counts as uncertain too, since
nobody can tell).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator

from sqlalchemy import select

from core import clock
from core.contracts.renderer import TemplateSpec
from core.errors import DeviceNotFound, ExternalError, OrderhubError, ValidationError
from core.models import PrintJobItem
from core.printing import documents as docs
from core.printing import template_store
from core.printing.lease import LeaseLost
from core.printing.printers import PrinterConfig, driver_for, renderer_for
from core.printing.rendering import ChunkRenderer, Prepared
from core.printing.run_state import Run
from core.printing.states import Step, StepResult, step

log = logging.getLogger("orderhub.printing")
ITEMS = PrintJobItem.__table__


class PrinterWorker:
    """Sends the queued items of one job assigned to one printer, in position order."""

    def __init__(self, run: Run, config: PrinterConfig) -> None:
        self.run = run
        self.config = config
        self.specs: dict[int, TemplateSpec] = {}
        self.pending: list[int] = []  # sent, `done` not yet committed
        self.chunk = run.chunk_for(config)

    def __call__(self) -> None:
        try:
            self._work()
        except LeaseLost as exc:
            self.run.lose(str(exc))
        except Exception as exc:  # a bug must not leave the other printers running blind
            log.exception("printer %s: runner failed", self.config.name)
            self.run.pause(f"printer {self.config.name}: runner error {type(exc).__name__}: {exc}")

    def _work(self) -> None:
        app = self.run.app
        renderer = ChunkRenderer(
            self.config, renderer_for(app, self.config), self.specs, self._task_id, self.run.pool
        )
        ahead = 1 + (2 * self.run.pool.processes if self.run.pool is not None else 0)
        window: deque[Prepared] = deque()
        with driver_for(app, self.config) as device:
            try:
                for refs, sources, extra in self._pages():
                    for start in range(0, len(refs), self.chunk):
                        chunk = refs[start : start + self.chunk]
                        window.append(renderer.prepare(chunk, sources, extra))
                        while len(window) >= ahead:
                            if self.run.stopping or not self._print(
                                device, renderer, window.popleft()
                            ):
                                return
                while window:
                    if self.run.stopping or not self._print(device, renderer, window.popleft()):
                        return
            finally:
                if self.pending:
                    self._step(Step(done=self.pending))

    def _pages(self) -> Iterator[tuple[list[docs.ItemRef], dict[int, docs.Source], dict]]:
        """Pages of queued items of this printer by position, with their data loaded."""
        after = -1
        while not self.run.stopping:
            with self.run.app.tx() as session:
                rows = session.execute(
                    select(
                        ITEMS.c.id,
                        ITEMS.c.position,
                        ITEMS.c.kind,
                        ITEMS.c.package_id,
                        ITEMS.c.order_id,
                        ITEMS.c.waybill_id,
                        ITEMS.c.printer_id,
                        ITEMS.c.template_version_id,
                        ITEMS.c.reprint,
                        ITEMS.c.attempts,
                        ITEMS.c.line_no,
                    )
                    .where(
                        ITEMS.c.job_id == self.run.job_id,
                        ITEMS.c.printer_id == self.config.id,
                        ITEMS.c.state == "queued",
                        ITEMS.c.position > after,
                    )
                    .order_by(ITEMS.c.position)
                    .limit(self.run.page_size)
                ).all()
            if not rows:
                return
            refs = [docs.ItemRef(*row) for row in rows]
            with self.run.app.tx() as session:
                sources = docs.load_sources(session, refs)
                extra = self._page_extras(session, refs)
            after = refs[-1].position
            yield refs, sources, extra

    def _page_extras(self, session, refs: list[docs.ItemRef]) -> dict:  # type: ignore[no-untyped-def]
        """Template specs of the page, and pick-list data (read in the page's transaction)."""
        extra: dict = {}
        for ref in refs:
            version = ref.template_version_id
            if version is not None and version not in self.specs:
                try:
                    self.specs[version] = template_store.spec_of(session, version)
                except OrderhubError as exc:
                    extra[("spec_error", version)] = exc.message
            if ref.kind == "pick_list":
                extra[("pick", ref.id)] = docs.pick_list_data(
                    session, self.run.job_id, self.run.package_ids, self.run.operator, clock.now()
                )
        return extra

    # ------------------------------------------------------------------ one chunk

    def _print(self, device, renderer: ChunkRenderer, prepared: Prepared) -> bool:  # type: ignore[no-untyped-def]
        """Record, send, and (in the next step) finish one prepared chunk."""
        content = renderer.result(prepared)
        if self.run.refund_check is not None and prepared.item_ids:
            # 退款拦截: rendered meanwhile; sent only once the live check has passed it
            # (a package it holds is refused by the step below)
            self.run.refund_check.wait_through(max(prepared.positions().values()))
        refs = {i: self._task_id(prepared.refs[i]) for i in prepared.item_ids}
        result = self._step(
            Step(
                done=self.pending,
                start=prepared.item_ids,
                failed=prepared.failed,
                refs=refs if not self.config.self_rendered else {},
            )
        )
        self.pending = []
        for item_id, error in {**prepared.failed, **result.refused}.items():
            self._report(prepared.refs[item_id].position, "failed", error, failed=1)
        if result.status != "running":
            self.run.operator_stopped(result.status)
            return False
        if not result.started or content is None:
            return True
        if set(result.started) != set(prepared.item_ids):  # some refused at the last check
            content = renderer.subset(prepared, result.started)
        return self._send(device, content, prepared.positions(), result)

    def _send(self, device, content: bytes, positions: dict[int, int], result: StepResult) -> bool:  # type: ignore[no-untyped-def]
        try:
            device.write(content)
        except Exception as exc:  # every failure is classified; none is lost
            outcome, message, pause = classify(exc, self.config.name)
            self._step(Step(**{outcome: dict.fromkeys(result.started, message)}))
            state = "queued" if outcome == "requeue" else outcome
            for item_id in result.started:
                self._report(
                    positions[item_id],
                    state,
                    message,
                    failed=int(state == "failed"),
                    uncertain=int(state == "uncertain"),
                )
            if pause:
                self.run.pause(message)
                return False
            return True
        self.pending = list(result.started)
        last = max(positions[i] for i in result.started)
        self.run.progress.report(
            "running",
            done=len(result.started),
            printer=self.config.name,
            position=last,
            item_state="done",
        )
        return True

    def _step(self, change: Step) -> StepResult:
        with self.run.app.engine.begin() as conn:
            return step(conn, self.run.lease, change)

    def _report(self, position: int, state: str, message: str, **counts: int) -> None:
        self.run.progress.report(
            "running",
            printer=self.config.name,
            position=position,
            item_state=state,
            message=message,
            **counts,
        )

    def _task_id(self, ref: docs.ItemRef) -> str:
        return f"orderhub-{self.run.job_id}-{ref.id}-{ref.attempts + 1}"


def classify(exc: BaseException, printer: str) -> tuple[str, str, bool]:
    """(outcome, message, pause the job?) for a failure of `write`.

    - flagged `uncertain`, or not one of ours (a plugin bug): `uncertain`, pause;
    - nothing left (retryable, or the device was not found): back to `queued`, pause;
    - the document itself was refused (`ValidationError`): `failed`, carry on;
    - anything else the driver raised (a component that reported the task failed, a
      folder that is not writable): `failed`, pause.
    """
    if not isinstance(exc, OrderhubError):
        text = f"printer {printer}: {type(exc).__name__}: {exc}; it may have printed"
        return "uncertain", text, True
    message = f"printer {printer}: {exc.message}"
    if exc.details.get("uncertain"):
        return "uncertain", message, True
    if isinstance(exc, DeviceNotFound) or (isinstance(exc, ExternalError) and exc.retryable):
        return "requeue", message, True
    if isinstance(exc, ValidationError):
        return "failed", message, False
    return "failed", message, True
