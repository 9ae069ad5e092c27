"""What stays the same from one label to the next, computed once: parsed layouts, planners
(static operations laid out), and raster static layers (frames, captions, logos drawn).

Keys are the template object itself (the fast path: a print job renders every item with
the same `TemplateSpec`), falling back to the template's content, so an edited template
never reuses a stale picture even if its name and version were not changed. Caches are
bounded and shared by all renderer instances; they hold derived data only, never state.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from PIL import Image

from core.contracts.renderer import TemplateSpec
from core.templates.serialization import plain
from core.templates.validation import Layout, parse_layout
from plugins.renderers.ops import BarcodeOp, TextOp, dots_per_mm, media_dots
from plugins.renderers.plan import Planner
from plugins.renderers.raster import RasterCanvas, blank

T = TypeVar("T")


class BoundedCache:
    """A small thread-safe LRU map. Values for an object key hold a reference to the
    object, so its `id` cannot be reused while the entry lives."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[Any, tuple[Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, owner: object, extra: Any, build: Callable[[], T]) -> T:
        key = (id(owner), extra)
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] is owner:
                self._data.move_to_end(key)
                return hit[1]
        value = build()
        with self._lock:
            self._data[key] = (owner, value)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_by_object = BoundedCache(64)
_by_content: dict[str, Layout] = {}
_planners = BoundedCache(64)
_layers = BoundedCache(64)


def content_key(spec: TemplateSpec) -> str:
    body = json.dumps(
        [spec.name, spec.kind, spec.width_mm, spec.height_mm, spec.version, plain(spec.elements)],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def layout_for(spec: TemplateSpec) -> Layout:
    """The validated layout of `spec` (raises `ValidationError` if it is invalid)."""

    def build() -> Layout:
        key = content_key(spec)
        layout = _by_content.get(key)
        if layout is None:
            layout = parse_layout(spec)
            if len(_by_content) >= 256:
                _by_content.clear()
            _by_content[key] = layout
        return layout

    return _by_object.get(spec, None, build)


def planner_for(layout: Layout, dpi: int) -> Planner:
    return _planners.get(layout, dpi, lambda: Planner(layout, dpi))


def static_layer(
    planner: Planner, dx: int, dy: int, *, skip_text: bool = False, skip_barcodes: bool = False
) -> Image.Image:
    """The static operations drawn on a blank page at the planner's dpi, shifted by
    (dx, dy) dots; callers copy it before drawing on it."""

    def build() -> Image.Image:
        spec = planner.layout.spec
        image = blank(*media_dots(spec.width_mm, spec.height_mm, planner.dpi))
        ops = [
            op
            for op in planner.static_ops
            if not (skip_text and isinstance(op, TextOp) and not op.white)
            and not (skip_barcodes and isinstance(op, BarcodeOp))
        ]
        RasterCanvas(image, dots_per_mm(planner.dpi), dx, dy).draw(ops)
        return image

    return _layers.get(planner, (dx, dy, skip_text, skip_barcodes), build)


def clear() -> None:
    """Forget everything (tests that measure cold starts)."""
    _by_object.clear()
    _by_content.clear()
    _planners.clear()
    _layers.clear()
