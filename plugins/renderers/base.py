"""What the built-in renderers share: settings and the `render`/`render_batch` prologue
(`DocumentRenderer`, PDF too); and what the raster ones (PNG, TSPL, ZPL, ESC/POS) share:
pages, batches.

A page is the static layer (cached per template, dpi and offset) copied, with the
data-bound operations drawn on it. Renderers whose printer has a resident CJK font, or
that print barcodes with the printer's own command, take those operations out of the
raster and send them as commands instead (`RasterPage.texts` / `.barcodes`).

Renderer settings (the printer's options, given when core builds the renderer):
see each renderer's `SETTINGS`; a wrong value is a `ConfigurationError` naming it.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from PIL import Image

from core.contracts.base import NO_SETTINGS, PluginServices
from core.contracts.renderer import RenderedDocument, Renderer, RenderRequest
from core.errors import ConfigurationError, ValidationError
from plugins.renderers.cache import layout_for, planner_for, static_layer
from plugins.renderers.ops import BarcodeOp, TextOp, dots_per_mm
from plugins.renderers.raster import RasterCanvas


@dataclass(frozen=True)
class Setting:
    """One renderer setting: its type, default and allowed range (numbers) or values."""

    kind: type
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()


def read_settings(
    owner: str, schema: Mapping[str, Setting], given: Mapping[str, Any]
) -> dict[str, Any]:
    """`given` checked against `schema`, defaults filled in."""
    unknown = sorted(set(given) - set(schema))
    if unknown:
        raise ConfigurationError(
            f"renderer {owner!r}: unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(schema) or 'none'}"
        )
    out = {}
    for key, spec in schema.items():
        value = given.get(key, spec.default)
        kind_ok = isinstance(value, spec.kind) and not (
            spec.kind is not bool and isinstance(value, bool)
        )
        if spec.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, kind_ok = float(value), True
        if not kind_ok:
            raise ConfigurationError(
                f"renderer {owner!r}: setting {key} must be of type {spec.kind.__name__}, "
                f"not {value!r}"
            )
        if spec.choices and value not in spec.choices:
            allowed = ", ".join(map(str, spec.choices))
            raise ConfigurationError(
                f"renderer {owner!r}: setting {key} must be one of {allowed}, not {value!r}"
            )
        if (spec.low is not None and value < spec.low) or (
            spec.high is not None and value > spec.high
        ):
            raise ConfigurationError(
                f"renderer {owner!r}: setting {key} must be between {spec.low:g} and "
                f"{spec.high:g}, not {value!r}"
            )
        out[key] = value
    return out


def _command_text(op: object) -> bool:
    """Text a resident font can print (white-on-black text stays in the raster)."""
    return isinstance(op, TextOp) and not op.white


@dataclass
class RasterPage:
    """One page at printer resolution, plus the operations left for printer commands."""

    image: Image.Image
    texts: list[TextOp]
    barcodes: list[BarcodeOp]
    per_mm: float
    dx: int
    dy: int


class DocumentRenderer(Renderer):
    """Base of the built-in renderers: `settings` checked against `SETTINGS` into
    `options`, and a request or a batch rendered as one document by `_document`."""

    SUPPORTS_BATCH = True
    SETTINGS: ClassVar[Mapping[str, Setting]] = {}

    def __init__(
        self, settings: Mapping[str, Any] = NO_SETTINGS, services: PluginServices | None = None
    ) -> None:
        super().__init__(settings, services)
        self.options = read_settings(self.name, self.SETTINGS, self.settings)

    def render(self, request: RenderRequest) -> RenderedDocument:
        """One document: every page of `request`, `copies` times; see the module docstring
        of each language for its structure."""
        return self._document([request])

    def render_batch(self, requests: Sequence[RenderRequest]) -> RenderedDocument:
        """One document with the pages of every request, in order: one write to the
        printer."""
        if not requests:
            raise ValidationError("nothing to render: the batch is empty", field="requests")
        return self._document(requests)

    @abstractmethod
    def _document(self, requests: Sequence[RenderRequest]) -> RenderedDocument:
        """The document of `requests` (one or more)."""

    def _check_language(self, request: RenderRequest) -> None:
        if not self.accepts(request.language):
            self.not_supported(f"language {request.language!r}")


class RasterRenderer(DocumentRenderer):
    """Base of the renderers that send a 1-bit raster of the label."""

    MEDIA_TYPE: ClassVar[str] = "application/octet-stream"

    # Subclasses with printer commands for text or barcodes override these two.
    def text_commands(self) -> bool:
        return False

    def barcode_commands(self) -> bool:
        return False

    def _document(self, requests: Sequence[RenderRequest]) -> RenderedDocument:
        parts: list[bytes] = []
        pages = 0
        for request in requests:
            self._check_language(request)
            for page in self.pages(request):
                parts.append(self.encode(request, page))
                pages += 1
        return RenderedDocument(self.language_of(requests), b"".join(parts), pages, self.MEDIA_TYPE)

    def language_of(self, requests: Sequence[RenderRequest]) -> str:
        languages = {r.language for r in requests}
        if len(languages) > 1:
            raise ValidationError(
                f"a batch is in one language, got {', '.join(sorted(languages))}",
                field="language",
            )
        return languages.pop()

    def pages(self, request: RenderRequest) -> list[RasterPage]:
        """Every page of `request`, drawn."""
        planner = planner_for(layout_for(request.template), request.dpi)
        per_mm = dots_per_mm(request.dpi)
        dx, dy = round(request.offset_x_mm * per_mm), round(request.offset_y_mm * per_mm)
        skip_text, skip_bars = self.text_commands(), self.barcode_commands()
        base = static_layer(planner, dx, dy, skip_text=skip_text, skip_barcodes=skip_bars)
        static_texts = [op for op in planner.static_ops if _command_text(op)]
        static_bars = [op for op in planner.static_ops if isinstance(op, BarcodeOp)]
        out = []
        for ops in planner.pages(request.data):
            image = base.copy()
            texts = [*static_texts, *(op for op in ops if _command_text(op))] if skip_text else []
            bars = (
                [*static_bars, *(op for op in ops if isinstance(op, BarcodeOp))]
                if skip_bars
                else []
            )
            drawn = [
                op
                for op in ops
                if not (skip_text and _command_text(op))
                and not (skip_bars and isinstance(op, BarcodeOp))
            ]
            RasterCanvas(image, per_mm, dx, dy).draw(drawn)
            out.append(RasterPage(image, texts, bars, per_mm, dx, dy))
        return out

    @abstractmethod
    def encode(self, request: RenderRequest, page: RasterPage) -> bytes:
        """The printer-language bytes of one page (with `request.copies`)."""
