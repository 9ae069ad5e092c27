"""Turning a chunk of items into the document the printer gets, in the runner or in the
render pool: build each item's data, render (or pass platform print data through), and
name every item that cannot print and why.

A chunk is one item, except for PDF printers, where several labels go as one document of
several pages. One bad item (a field the template needs and the data lacks, an order put
on hold meanwhile) fails alone: the others of its chunk are rendered without it.
"""

from __future__ import annotations

import logging
import traceback
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core import clock
from core.contracts.renderer import Renderer, RenderRequest, TemplateSpec
from core.errors import OrderhubError, ValidationError
from core.printing import documents as docs
from core.printing import render_pool
from core.printing.printers import PrinterConfig, render_request

log = logging.getLogger("orderhub.printing")


@dataclass
class Prepared:
    """A chunk on its way: the document (or its future) for `item_ids`, in order, and the
    items that failed before rendering."""

    refs: dict[int, docs.ItemRef]
    sources: dict[int, docs.Source]
    item_ids: list[int] = field(default_factory=list)
    requests: list[RenderRequest] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    content: bytes | None = None
    future: Future | None = None

    def positions(self) -> dict[int, int]:
        return {i: self.refs[i].position for i in self.item_ids}


class ChunkRenderer:
    """Renders chunks for one printer; `pool` (shared by the run) when warm, else here."""

    def __init__(
        self,
        config: PrinterConfig,
        renderer: Renderer | None,
        specs: dict[int, TemplateSpec],
        task_id,  # type: ignore[no-untyped-def]
        pool: render_pool.RenderPool | None,
    ) -> None:
        self.config, self.renderer, self.specs = config, renderer, specs
        self.task_id = task_id
        self.pool = pool

    def prepare(
        self, refs: list[docs.ItemRef], sources: dict[int, docs.Source], extra: dict
    ) -> Prepared:
        """Data for every item, then the document — submitted to the pool when warm."""
        prepared = Prepared({r.id: r for r in refs}, sources)
        now = clock.now()
        payloads: list[bytes] = []
        for ref in refs:
            try:
                content = self._content(ref, sources, extra, now)
            except (OrderhubError, ValueError) as exc:
                prepared.failed[ref.id] = describe(ref, sources, str(exc))
                continue
            except Exception as exc:  # a bug in data building fails the item, not the batch
                error = describe(ref, sources, f"{type(exc).__name__}: {exc}")
                trace = "".join(traceback.format_tb(exc.__traceback__))  # frames, no values
                log.error("preparing item %s failed: %s\n%s", ref.id, error, trace)
                prepared.failed[ref.id] = error
                continue
            prepared.item_ids.append(ref.id)
            if isinstance(content, bytes):
                payloads.append(content)
            else:
                prepared.requests.append(content)
        if payloads:
            prepared.content = payloads[0]  # a component item is its own chunk
        elif prepared.requests:
            if self.pool is not None and self.pool.warm:
                key = f"{refs[0].template_version_id}"
                task = render_pool.task_for(self.renderer, key, prepared.requests)  # type: ignore[arg-type]
                prepared.future = self.pool.submit(task)
            else:
                self._render_here(prepared)
        return prepared

    def result(self, prepared: Prepared) -> bytes | None:
        """The document of `prepared` (waiting for the pool); items that failed to render
        move to `prepared.failed`. None when nothing is left to send."""
        if prepared.future is not None:
            try:
                prepared.content = prepared.future.result()
            except Exception as exc:
                if _pool_broken(exc) and self.pool is not None:
                    log.warning("render pool failed (%s); rendering in-process", exc)
                    self.pool.broken = True
                prepared.future = None
                self._render_here(prepared)
        return prepared.content if prepared.item_ids else None

    def _render_here(self, prepared: Prepared) -> None:
        assert self.renderer is not None
        try:
            prepared.content = render_pool.inline(self.renderer, prepared.requests)
            return
        except Exception as exc:
            if len(prepared.requests) == 1:
                item = prepared.item_ids[0]
                ref = prepared.refs[item]
                prepared.failed[item] = describe(ref, prepared.sources, _message(exc))
                prepared.item_ids, prepared.requests = [], []
                return
        good = []  # a batch failed: find the culprits, keep the rest
        for item, request in zip(prepared.item_ids, prepared.requests, strict=True):
            try:
                self.renderer.render(request)
                good.append((item, request))
            except Exception as exc:
                ref = prepared.refs[item]
                prepared.failed[item] = describe(ref, prepared.sources, _message(exc))
        prepared.item_ids = [i for i, _ in good]
        prepared.requests = [r for _, r in good]
        if good:
            prepared.content = render_pool.inline(self.renderer, prepared.requests)

    def subset(self, prepared: Prepared, keep: tuple[int, ...]) -> bytes:
        """The document again for only `keep` (some items were refused at the last check)."""
        pairs = [(i, r) for i, r in zip(prepared.item_ids, prepared.requests, strict=False)]
        prepared.item_ids = [i for i in prepared.item_ids if i in keep]
        if self.renderer is None or not pairs:
            return prepared.content or b""
        prepared.requests = [r for i, r in pairs if i in keep]
        return render_pool.inline(self.renderer, prepared.requests)

    def _content(self, ref, sources, extra, now: datetime) -> RenderRequest | bytes:  # type: ignore[no-untyped-def]
        source = sources.get(ref.package_id) if ref.package_id is not None else None
        why = docs.problem(ref, source)
        if why:
            raise ValidationError(why)
        if not self.config.self_rendered:
            return docs.component_payload(source, self.task_id(ref))  # type: ignore[arg-type]
        spec = self.specs.get(ref.template_version_id)
        if spec is None:
            raise ValidationError(
                extra.get(("spec_error", ref.template_version_id), "item has no template")
            )
        data: dict[str, Any]
        if ref.kind == "label":
            data = docs.label_data(source, now).to_mapping()  # type: ignore[arg-type]
        elif ref.kind == "packing_slip":
            data = docs.packing_slip_data(source, now).to_mapping()  # type: ignore[arg-type]
        elif ref.kind == "pick_list":
            data = extra[("pick", ref.id)].to_mapping()
        elif ref.kind == "product_label":
            data = docs.product_label_data(source, ref, now).to_mapping()  # type: ignore[arg-type]
        else:
            raise ValidationError(f"items of kind {ref.kind!r} cannot be printed by a job")
        return render_request(self.config, spec, data)


def describe(ref: docs.ItemRef, sources: dict, error: str) -> str:
    """An item's failure, naming its order(s) and position; buyer data redacted (it is
    stored as the item's error, shown and logged)."""
    source = sources.get(ref.package_id)
    error = docs.redact(source, error)
    if source is not None and source.orders:
        numbers = ",".join(o.platform_order_no for o in source.orders)
        return f"order {numbers} (item {ref.position}): {error}"
    return f"item {ref.position}: {error}"


def _message(exc: BaseException) -> str:
    if isinstance(exc, OrderhubError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


def _pool_broken(exc: BaseException) -> bool:
    """A failure of the pool itself (a dead worker, a renderer it cannot import), as
    opposed to the renderer refusing this item (which rendering here will repeat)."""

    return isinstance(exc, BrokenProcessPool | ImportError | AttributeError | OSError)
