"""The render pool renders exactly what the runner would, and rendering comes back
in-process when the pool breaks."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

from sqlalchemy import select

from core.contracts.renderer import RenderRequest
from core.models import Waybill
from core.printing import render_pool
from core.printing import runner as runner_module
from core.printing.jobs import create_job
from core.printing.rendering import ChunkRenderer, Prepared
from core.printing.runner import run_job
from core.templates import builtin_template, sample_data
from plugins.renderers.pdf import PdfRenderer
from plugins.renderers.tspl import TsplRenderer
from tests.printing import streams
from tests.printing.rig import TEXT_TEMPLATE


def warm(pool: render_pool.RenderPool) -> None:
    end = time.monotonic() + 60
    while not pool.warm:
        assert time.monotonic() < end, "the render pool did not start"
        time.sleep(0.05)


def test_the_pool_renders_byte_for_byte_what_this_process_would() -> None:
    spec = builtin_template("label-76x130")
    data = sample_data("label")
    pool = render_pool.RenderPool(1)
    try:
        warm(pool)
        for renderer, count in ((TsplRenderer({"density": 10}), 1), (PdfRenderer(), 3)):
            language = next(iter(renderer.LANGUAGES))
            requests = [RenderRequest(spec, data, language, 203, 1.0, -0.5)] * count
            task = render_pool.task_for(renderer, "label-76x130@1", requests)
            assert pool.submit(task).result(60) == render_pool.inline(renderer, requests)
    finally:
        pool.close()


class WarmPool(render_pool.RenderPool):
    """The runner's pool, started before the first label and counting its work."""

    submitted = 0

    def __init__(self, processes: int) -> None:
        super().__init__(processes)
        warm(self)

    def submit(self, task):  # type: ignore[no-untyped-def]
        WarmPool.submitted += 1
        return super().submit(task)


def test_a_job_rendered_in_the_pool_matches_one_rendered_here(rig, listener, monkeypatch) -> None:
    monkeypatch.setattr(runner_module, "MIN_ITEMS", 1)
    monkeypatch.setattr(runner_module, "RenderPool", WarmPool)
    monkeypatch.setattr(WarmPool, "submitted", 0)
    rig.text_printer("gp-1", listener.port)
    rig.account("YTO")
    order_ids = rig.load_orders(count=8)
    first = create_job(rig.app, rig.org.admin, order_ids, ["gp-1"], template=TEXT_TEMPLATE)
    assert run_job(rig.app, rig.org.admin, first.job_id, render_processes=1).done == 8
    assert WarmPool.submitted == 8  # every label was rendered by the pool
    again = create_job(rig.app, rig.org.admin, order_ids, ["gp-1"], reprint=True, reason="x")
    assert run_job(rig.app, rig.org.admin, again.job_id, render_processes=0).done == 8
    streams.settle(listener, 16)
    documents = [d for c in listener.connections for d in streams.documents(c)]
    assert documents[:8] == documents[8:]
    with rig.app.tx() as session:
        numbers = list(session.scalars(select(Waybill.number).order_by(Waybill.package_id)))
    assert [streams.waybill_of(d) for d in documents[:8]] == numbers


def test_a_broken_pool_sends_rendering_back_here() -> None:
    spec = builtin_template("label-76x130")
    renderer = TsplRenderer()
    request = RenderRequest(spec, sample_data("label"), "tspl")

    class Pool:
        warm, broken, processes = True, False, 1

    failed: Future = Future()
    failed.set_exception(BrokenProcessPool("a worker died"))
    chunk = ChunkRenderer(None, renderer, {}, str, Pool())  # type: ignore[arg-type]
    prepared = Prepared({}, {}, item_ids=[1], requests=[request], future=failed)
    assert chunk.result(prepared) == render_pool.inline(renderer, [request])
    assert Pool.broken is True or chunk.pool.broken is True


class StuckRenderer(TsplRenderer):
    """A renderer that never finishes a label (a bug, a pathological template)."""

    def render(self, request):  # type: ignore[no-untyped-def]
        time.sleep(600)
        return super().render(request)


def test_closing_the_pool_ends_a_worker_stuck_in_a_label() -> None:
    spec = builtin_template("label-76x130")
    request = RenderRequest(spec, sample_data("label"), "tspl")
    pool = render_pool.RenderPool(1)
    try:
        warm(pool)
        workers = multiprocessing.active_children()
        pool.submit(render_pool.task_for(StuckRenderer(), "stuck@1", [request]))
        time.sleep(1.0)  # the worker is inside the label now
    finally:
        pool.close()
    end = time.monotonic() + 30  # SIGTERM, then SIGKILL after 5 s: well within
    while any(w.is_alive() for w in workers) and time.monotonic() < end:
        time.sleep(0.1)
    assert workers and not any(w.is_alive() for w in workers)
