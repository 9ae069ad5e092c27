"""One printer's share of a print job: read a page of queued items, render them one by
one (or a few pages of PDF as one document), record `sending`, send, record `done`.

Memory stays flat whatever the batch: items are read a page at a time by position (a
keyset, so resuming starts at the first unfinished one), and a document is dropped once
sent. A render failure fails that item only (named, with the reason) and the batch goes on;
a printer failure stops this printer and pauses the job: the document goes back to
`queued` when the driver says no byte of it left, and becomes `uncertain` when some may
have (drivers flag that with `uncertain=True`; an unexpected exception from a plugin counts
as uncertain too, since nobody can tell).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from core import clock
from core.contracts.renderer import RenderedDocument, Renderer, RenderRequest, TemplateSpec
from core.errors import DeviceNotFound, ExternalError, OrderhubError, ValidationError
from core.models import PrintJobItem
from core.printing import documents as docs
from core.printing import template_store
from core.printing.lease import LeaseLost
from core.printing.printers import PrinterConfig, driver_for, render_request, renderer_for
from core.printing.states import Step, StepResult, step

if TYPE_CHECKING:
    from core.printing.runner import Run

log = logging.getLogger("orderhub.printing")
ITEMS = PrintJobItem.__table__


@dataclass
class Prepared:
    """A chunk ready to send: one document for `item_ids` (several only for PDF batches)."""

    item_ids: list[int]
    document: RenderedDocument
    positions: dict[int, int]


class PrinterWorker:
    """Sends the queued items of one job assigned to one printer, in position order."""

    def __init__(self, run: Run, config: PrinterConfig) -> None:
        self.run = run
        self.config = config
        self.specs: dict[int, TemplateSpec] = {}
        self.renderer: Renderer | None = None
        self.pending: list[int] = []  # sent, `done` not yet committed
        self.chunk = run.chunk_for(config)

    # ------------------------------------------------------------------ main loop

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
        self.renderer = renderer_for(app, self.config)
        with driver_for(app, self.config) as device:
            try:
                for page in self._pages():
                    for chunk in _chunks(page, self.chunk):
                        if self.run.stopping:
                            return
                        if not self._print_chunk(device, chunk):
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
                        ITEMS.c.id, ITEMS.c.position, ITEMS.c.kind, ITEMS.c.package_id,
                        ITEMS.c.order_id, ITEMS.c.waybill_id, ITEMS.c.printer_id,
                        ITEMS.c.template_version_id, ITEMS.c.reprint, ITEMS.c.attempts,
                    )
                    .where(
                        ITEMS.c.job_id == self.run.job_id,
                        ITEMS.c.printer_id == self.config.id,
                        ITEMS.c.state == "queued",
                        ITEMS.c.position > after,
                    )
                    .order_by(ITEMS.c.position)
                    .limit(self.run.page_size)
                ).all()  # fmt: skip
                if not rows:
                    return
                refs = [docs.ItemRef(*row) for row in rows]
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

    def _print_chunk(self, device, chunk) -> bool:  # type: ignore[no-untyped-def]
        refs, sources, extra = chunk
        prepared, failed = self._render(refs, sources, extra)
        refs_by_id = {r.id: r for r in refs}
        device_refs = (
            {i: self._task_id(refs_by_id[i]) for i in prepared.item_ids} if prepared else {}
        )
        result = self._step(
            Step(done=self.pending, start=prepared.item_ids if prepared else (), failed=failed,
                 refs=device_refs if not self.config.self_rendered else {})
        )  # fmt: skip
        self.pending = []
        for item_id, error in {**failed, **result.refused}.items():
            self.run.progress.report(
                "running", failed=1, printer=self.config.name,
                position=refs_by_id[item_id].position, item_state="failed", message=error,
            )  # fmt: skip
        if result.status != "running":
            self.run.operator_stopped(result.status)
            return False
        if not result.started or prepared is None:
            return True
        if set(result.started) != set(prepared.item_ids):  # some refused at the last check
            prepared, _ = self._render([refs_by_id[i] for i in result.started], sources, extra)
            assert prepared is not None
        return self._send(device, prepared, result)

    def _send(self, device, prepared: Prepared, result: StepResult) -> bool:  # type: ignore[no-untyped-def]
        try:
            device.write(prepared.document.content)
        except Exception as exc:  # every failure is classified; none is lost
            outcome, message, pause = classify(exc, self.config.name)
            errors = dict.fromkeys(result.started, message)
            change = Step(**{outcome: errors})
            self._step(change)
            for item_id in result.started:
                self.run.progress.report(
                    "running", failed=1 if outcome == "failed" else 0,
                    uncertain=1 if outcome == "uncertain" else 0, printer=self.config.name,
                    position=prepared.positions[item_id], item_state=_state_of(outcome),
                    message=message,
                )  # fmt: skip
            if pause:
                self.run.pause(message)
                return False
            return True
        self.pending = list(result.started)
        last = max(prepared.positions[i] for i in result.started)
        self.run.progress.report(
            "running", done=len(result.started), printer=self.config.name, position=last,
            item_state="done",
        )  # fmt: skip
        return True

    def _step(self, change: Step) -> StepResult:
        with self.run.app.engine.begin() as conn:
            return step(conn, self.run.lease, change)

    # ------------------------------------------------------------------ rendering

    def _render(self, refs, sources, extra) -> tuple[Prepared | None, dict[int, str]]:  # type: ignore[no-untyped-def]
        """One document for `refs` (their items that can print), and why others cannot."""
        failed: dict[int, str] = {}
        parts: list[tuple[docs.ItemRef, object]] = []
        now = clock.now()
        for ref in refs:
            try:
                parts.append((ref, self._content(ref, sources, extra, now)))
            except (OrderhubError, ValueError) as exc:
                failed[ref.id] = _describe(ref, sources, str(exc))
            except Exception as exc:  # a renderer bug fails the item, not the batch
                log.exception("rendering item %s failed", ref.id)
                failed[ref.id] = _describe(ref, sources, f"{type(exc).__name__}: {exc}")
        if not parts:
            return None, failed
        ids = [ref.id for ref, _ in parts]
        positions = {ref.id: ref.position for ref, _ in parts}
        contents = [c for _, c in parts]
        if isinstance(contents[0], bytes):
            return Prepared(
                ids, RenderedDocument(self.config.language, contents[0]), positions
            ), failed
        assert self.renderer is not None
        try:
            document = self.renderer.render_batch(contents)  # type: ignore[arg-type]
        except Exception:  # find the culprit: render each, keep the good ones
            good = []
            for ref, request in parts:
                try:
                    self.renderer.render(request)  # type: ignore[arg-type]
                    good.append((ref, request))
                except Exception as exc:
                    failed[ref.id] = _describe(ref, sources, f"{type(exc).__name__}: {exc}")
            if not good:
                return None, failed
            ids = [ref.id for ref, _ in good]
            positions = {ref.id: ref.position for ref, _ in good}
            document = self.renderer.render_batch([r for _, r in good])  # type: ignore[misc]
        return Prepared(ids, document, positions), failed

    def _content(self, ref, sources, extra, now) -> RenderRequest | bytes:  # type: ignore[no-untyped-def]
        source = sources.get(ref.package_id) if ref.package_id is not None else None
        why = docs.problem(ref, source)
        if why:
            raise ValidationError(why)
        if not self.config.self_rendered:
            return docs.component_payload(source, self._task_id(ref))
        spec = self.specs.get(ref.template_version_id)
        if spec is None:
            raise ValidationError(
                extra.get(("spec_error", ref.template_version_id), "item has no template")
            )
        if ref.kind == "label":
            data = docs.label_data(source, now).to_mapping()
        elif ref.kind == "packing_slip":
            data = docs.packing_slip_data(source, now).to_mapping()
        elif ref.kind == "pick_list":
            data = extra[("pick", ref.id)].to_mapping()
        else:
            raise ValidationError(f"items of kind {ref.kind!r} cannot be printed by a job")
        request = render_request(self.config, spec, data)
        if self.chunk == 1:  # render now: a failure is this item's, with its own message
            return self.renderer.render(request).content  # type: ignore[union-attr]
        return request

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
        return (
            "uncertain",
            f"printer {printer}: {type(exc).__name__}: {exc}; it may have printed",
            True,
        )
    message = f"printer {printer}: {exc.message}"
    if exc.details.get("uncertain"):
        return "uncertain", message, True
    if isinstance(exc, DeviceNotFound) or (isinstance(exc, ExternalError) and exc.retryable):
        return "requeue", message, True
    if isinstance(exc, ValidationError):
        return "failed", message, False
    return "failed", message, True


def _state_of(outcome: str) -> str:
    return "queued" if outcome == "requeue" else outcome


def _describe(ref: docs.ItemRef, sources: dict, error: str) -> str:
    source = sources.get(ref.package_id)
    if source is not None and source.orders:
        numbers = ",".join(o.platform_order_no for o in source.orders)
        return f"order {numbers} (item {ref.position}): {error}"
    return f"item {ref.position}: {error}"


def _chunks(page, size: int):  # type: ignore[no-untyped-def]
    refs, sources, extra = page
    for start in range(0, len(refs), size):
        yield refs[start : start + size], sources, extra
