"""PNG previews: exactly the 1-bit raster a thermal printer would get, at the request's
dpi (203 by default), with the resolution recorded in the file so it prints at true size.
A multi-page document (a long pick list) is one tall image, pages stacked top to bottom.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

from core.contracts.renderer import RenderedDocument, RenderRequest
from core.hookspecs import hookimpl
from plugins.renderers.base import RasterPage, RasterRenderer
from plugins.renderers.raster import WHITE


class PngRenderer(RasterRenderer):
    """One PNG per request (no batches: a PNG holds one picture)."""

    name = "png"
    LANGUAGES = frozenset({"png"})
    SUPPORTS_BATCH = False
    MEDIA_TYPE = "image/png"

    def render(self, request: RenderRequest) -> RenderedDocument:
        """A PNG of every page of `request`, stacked."""
        self._check_language(request)
        pages = self.pages(request)
        if len(pages) == 1:
            image = pages[0].image
        else:
            width = pages[0].image.width
            image = Image.new("1", (width, sum(p.image.height for p in pages)), WHITE)
            top = 0
            for page in pages:
                image.paste(page.image, (0, top))
                top += page.image.height
        buffer = io.BytesIO()
        image.save(buffer, "PNG", dpi=(request.dpi, request.dpi), compress_level=6)
        return RenderedDocument("png", buffer.getvalue(), len(pages), self.MEDIA_TYPE)

    def render_batch(self, requests: Sequence[RenderRequest]) -> RenderedDocument:
        """Not offered (`SUPPORTS_BATCH` is False)."""
        self.not_supported("batch rendering")

    def encode(self, request: RenderRequest, page: RasterPage) -> bytes:
        raise AssertionError("PngRenderer.render encodes whole documents")  # pragma: no cover


@hookimpl
def register_renderers() -> list[type[PngRenderer]]:
    return [PngRenderer]
