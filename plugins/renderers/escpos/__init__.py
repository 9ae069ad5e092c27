"""ESC/POS (receipt printers, and label printers in their ESC/POS mode).

A document is `ESC @` (initialise), the raster as `GS v 0` images in bands of at most
`band_rows` rows (some printers cannot buffer a whole label: the HPRT TP809 takes at most
2,303 rows per image; 256 is safe everywhere), then optionally `ESC d n` (feed n lines),
`GS FF` (feed to the next label's start) and `GS V 66 0` (feed and cut). Chinese is in the
raster, so no code page or Chinese mode (`FS &`) is needed; the barcode is drawn into the
raster at whole-dot module widths.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

from core.contracts.renderer import RenderRequest
from core.hookspecs import hookimpl
from plugins.renderers.base import RasterPage, RasterRenderer, Setting
from plugins.renderers.raster import pack

ESC_INIT = b"\x1b@"
GS_RASTER = b"\x1dv0\x00"  # GS v 0, m = 0 (normal density)
GS_LABEL_FEED = b"\x1d\x0c"
GS_CUT = b"\x1dVB\x00"  # GS V 66 0: feed to the cutter and cut


class EscposRenderer(RasterRenderer):
    """Labels and slips for ESC/POS printers, as `GS v 0` raster bands."""

    name = "escpos"
    LANGUAGES = frozenset({"escpos"})
    SETTINGS: ClassVar[Mapping[str, Setting]] = MappingProxyType(
        {
            "band_rows": Setting(int, 256, 8, 2303),
            "feed_lines": Setting(int, 0, 0, 255),
            "label_feed": Setting(bool, False),
            "cut": Setting(bool, False),
        }
    )

    def encode(self, request: RenderRequest, page: RasterPage) -> bytes:
        data, width_bytes = pack(page.image, ink_is_one=True)
        rows = page.image.height
        band_rows = self.options["band_rows"]
        one = [ESC_INIT]
        for top in range(0, rows, band_rows):
            n = min(band_rows, rows - top)
            size = bytes([width_bytes & 0xFF, width_bytes >> 8, n & 0xFF, n >> 8])
            one += [GS_RASTER, size, data[top * width_bytes : (top + n) * width_bytes]]
        if self.options["feed_lines"]:
            one.append(b"\x1bd" + bytes([self.options["feed_lines"]]))
        if self.options["label_feed"]:
            one.append(GS_LABEL_FEED)
        if self.options["cut"]:
            one.append(GS_CUT)
        return b"".join(one) * request.copies


@hookimpl
def register_renderers() -> list[type[EscposRenderer]]:
    return [EscposRenderer]
