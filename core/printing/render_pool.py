"""Rendering labels on the machine's other cores while the runner talks to the database and
the printers.

Rendering is pure CPU (laying out text, rasterising, compressing): in one Python process it
competes with everything else for one core. A pool of worker processes renders the next
labels while the runner records and sends the current one, so a batch uses every core and
the printer never waits for the CPU. Order is kept by the runner (it waits for results in
item order), and a bounded window of labels in flight keeps memory flat.

The pool is optional and self-healing: it starts only for batches big enough to pay for
it, the first labels are rendered in the runner's own process while the workers start (so
the first label is not delayed by their start-up), and a renderer the workers cannot load
(a plugin registered in-process) or a worker that dies sends rendering back in-process.
What a worker renders is exactly what the runner would: same renderer class and options,
same template (rebuilt from its stored dict), same data.
"""

from __future__ import annotations

import importlib
import json
import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from core.contracts.renderer import Renderer, RenderRequest, TemplateSpec
from core.runtime.processes import class_at, main_not_rerun, shut_down_pool
from core.templates import template_from_json, template_to_json

log = logging.getLogger("orderhub.printing")

#: Batches with fewer labels to send than this render in-process (a pool costs a start-up).
MIN_ITEMS = 200
MAX_PROCESSES = 4
#: The most a caller may ask for (a machine with more cores than labels per second to send).
MAX_REQUESTED = 16


def default_processes() -> int:
    """One worker per core beyond the runner's own, at most 4."""
    return max(0, min(MAX_PROCESSES, (os.cpu_count() or 1) - 1))


@dataclass(frozen=True)
class RenderTask:
    """Picklable: everything a worker needs to render one document."""

    renderer: tuple[str, str, str]  # module, class name, options as JSON
    spec_key: str
    spec: str  # the template as exported JSON (a string pickles as one copy)
    datas: tuple[dict[str, Any], ...]
    language: str
    dpi: int
    offset_x_mm: float
    offset_y_mm: float


_spec_texts: dict[str, tuple[TemplateSpec, str]] = {}


def _spec_json(key: str, spec: TemplateSpec) -> str:
    """The template's JSON, made once per template (a print job uses one or a few)."""
    cached = _spec_texts.get(key)
    if cached is None or cached[0] is not spec:
        cached = _spec_texts[key] = (spec, template_to_json(spec))
    return cached[1]


def task_for(renderer: Renderer, key: str, requests: list[RenderRequest]) -> RenderTask:
    cls = type(renderer)
    first = requests[0]
    return RenderTask(
        renderer=(cls.__module__, cls.__qualname__, json.dumps(dict(renderer.settings))),
        spec_key=key,
        spec=_spec_json(key, first.template),
        datas=tuple(_plain(r.data) for r in requests),
        language=first.language,
        dpi=first.dpi,
        offset_x_mm=first.offset_x_mm,
        offset_y_mm=first.offset_y_mm,
    )


class RenderPool:
    """Worker processes (spawned, so safe with the runner's threads)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor = ProcessPoolExecutor(
            max_workers=processes, mp_context=multiprocessing.get_context("spawn")
        )
        with main_not_rerun():  # the workers start here, one per warm-up task
            self._ready = [self._executor.submit(_warm_up) for _ in range(processes)]
        self.broken = False

    @property
    def warm(self) -> bool:
        """True once every worker has started and imported the renderers."""
        return not self.broken and all(f.done() and f.exception() is None for f in self._ready)

    def submit(self, task: RenderTask) -> Future:
        return self._executor.submit(render_task, task)

    def close(self, timeout: float = 5.0) -> None:
        """Drop what is queued, let each worker finish the label in hand (up to `timeout`)
        and end the workers; every wait is bounded (`shut_down_pool`)."""
        shut_down_pool(self._executor, timeout, grace=timeout, name="render pool")


def inline(renderer: Renderer, requests: list[RenderRequest]) -> bytes:
    """Render in this process (the pool's fallback, and small batches)."""
    if len(requests) == 1:
        return renderer.render(requests[0]).content
    return renderer.render_batch(requests).content


# ---------------------------------------------------------------- in the worker process

_renderers: dict[tuple[str, str, str], Renderer] = {}
_specs: dict[str, TemplateSpec] = {}


def _warm_up() -> int:
    importlib.import_module("core.templates")
    return os.getpid()


def render_task(task: RenderTask) -> bytes:
    renderer = _renderers.get(task.renderer)
    if renderer is None:
        module, name, options = task.renderer
        cls = class_at(module, name)
        renderer = _renderers[task.renderer] = cls(json.loads(options))
    spec = _specs.get(task.spec_key)
    if spec is None:
        spec = _specs[task.spec_key] = template_from_json(task.spec, source=task.spec_key)
    requests = [
        RenderRequest(spec, data, task.language, task.dpi, task.offset_x_mm, task.offset_y_mm)
        for data in task.datas
    ]
    return inline(renderer, requests)


def _plain(value: Any) -> Any:
    """Read-only mappings and tuples as dicts and lists (what pickle and JSON take)."""
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
