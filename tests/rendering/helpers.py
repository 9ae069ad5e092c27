"""Shared bits of the rendering tests: the renderers by language and one-call rendering."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from core.contracts.renderer import RenderedDocument, RenderRequest, TemplateSpec
from core.templates import builtin_template, sample_data
from plugins.renderers.escpos import EscposRenderer
from plugins.renderers.pdf import PdfRenderer
from plugins.renderers.png import PngRenderer
from plugins.renderers.tspl import TsplRenderer
from plugins.renderers.zpl import ZplRenderer

RENDERERS = {
    "pdf": PdfRenderer,
    "png": PngRenderer,
    "tspl": TsplRenderer,
    "zpl": ZplRenderer,
    "escpos": EscposRenderer,
}
LANGUAGES = tuple(RENDERERS)
WAYBILL = "YT7500012345678"


def render(
    language: str,
    template: str | TemplateSpec = "label-76x130",
    data: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    **options: Any,
) -> RenderedDocument:
    spec = builtin_template(template) if isinstance(template, str) else template
    request = RenderRequest(
        spec, data if data is not None else sample_data(spec.kind), language, **options
    )
    return RENDERERS[language](settings or {}).render(request)


def png_image(document: RenderedDocument) -> Image.Image:
    image = Image.open(io.BytesIO(document.content))
    image.load()
    return image
