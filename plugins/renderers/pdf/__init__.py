"""PDF (reportlab), for office printers, the `file` driver and archiving (底单).

Text uses the shipped WenQuanYi Micro Hei, embedded as a TrueType subset of the glyphs a
document uses, so the file looks the same in every viewer and on every machine. Each
template's static part is one form XObject per document, drawn by reference on every
page: a 1,000-label batch stores the frames and captions once. Barcodes and QR codes are
filled rectangles at the same whole-dot module widths as on a thermal printer (at the
request's dpi), so a PDF label printed at that resolution scans like a raster one.
Output is deterministic (reportlab's invariant mode): the same request, the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from functools import lru_cache
from types import MappingProxyType
from typing import ClassVar

import numpy as np
from PIL import Image
from reportlab import rl_config
from reportlab.lib.rl_accel import escapePDF
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from core.contracts.renderer import RenderedDocument, RenderRequest
from core.hookspecs import hookimpl
from plugins.renderers.base import DocumentRenderer, Setting
from plugins.renderers.cache import layout_for, planner_for
from plugins.renderers.fonts import ASCENT, FONT_PATH, PDF_FONT_NAME, PT_MM
from plugins.renderers.ops import (
    BarcodeOp,
    ImageOp,
    LineOp,
    Op,
    QrOp,
    RectOp,
    TextOp,
    dots_per_mm,
    draw_ops,
)
from plugins.renderers.plan import Planner

MM = 72 / 25.4  # points per millimetre
# reportlab wraps compressed streams in ASCII85 by default, in pure Python without its C
# accelerator: the slowest part of a 1,000-page batch. PDF readers need no ASCII armour.
rl_config.useA85 = 0
BOLD_STROKE_EM = 0.05


@lru_cache(maxsize=1)
def register_font() -> str:
    """Register the shipped font with reportlab once per process."""
    pdfmetrics.registerFont(TTFont(PDF_FONT_NAME, str(FONT_PATH)))
    return PDF_FONT_NAME


@lru_cache(maxsize=32)
def _logo(data: bytes) -> ImageReader:
    with Image.open(io.BytesIO(data)) as source:
        source.load()
        rgba = source.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat.alpha_composite(rgba)
    return ImageReader(flat.convert("RGB"))


class _Page:
    """Draws operations on a reportlab canvas: mm from the top-left → points from the
    bottom-left, shifted by the printer offset."""

    def __init__(self, canvas: Canvas, height_mm: float, dx: float, dy: float) -> None:
        self.c, self.h, self.dx, self.dy = canvas, height_mm, dx, dy
        self.ttf = pdfmetrics.getFont(register_font())

    def px(self, x_mm: float) -> float:
        return (x_mm + self.dx) * MM

    def py(self, y_mm: float) -> float:
        return (self.h - y_mm - self.dy) * MM

    def draw(self, ops: Sequence[Op]) -> None:
        draw_ops(self, ops)

    def text(self, op: TextOp) -> None:
        """One BT…ET per operation, written directly: reportlab's text object spends more
        time formatting than encoding. The font's own `splitString` still maps characters
        to its embedded subsets, so subsetting works exactly as through the text object."""
        doc, font = self.c._doc, self.ttf
        size = f"{op.size_pt:g}"
        code = ["BT"]
        if op.white:
            code.append("1 g")
        if op.bold:
            code.append(f"{op.size_pt * BOLD_STROKE_EM:.3f} w {1 if op.white else 0} G 2 Tr")
        size_mm = op.size_pt * PT_MM
        current = -1
        for n, line in enumerate(op.lines):
            baseline = op.y + n * op.line_height + op.ascender_offset + ASCENT * size_mm
            code.append(f"1 0 0 1 {self.px(op.x + op.line_x[n]):.3f} {self.py(baseline):.3f} Tm")
            for subset, chunk in font.splitString(line, doc):
                if subset != current:
                    code.append(f"{font.getSubsetInternalName(subset, doc)} {size} Tf")
                    current = subset
                code.append(f"({escapePDF(chunk)}) Tj")
        # Render mode and fill colour outlive BT…ET in PDF: put them back for the next op.
        if op.bold:
            code.append("0 Tr")
        if op.white:
            code.append("0 g")
        code.append("ET")
        self.c.addLiteral(" ".join(code))

    def _modules(self, x: float, top: float, module: float, rects: list[str]) -> None:
        """Fill `rects` given in whole modules ("col row width height re", rows counted
        downwards) through a scaling matrix: integers are cheap to write and exact."""
        if rects:
            self.c.addLiteral(
                f"q 0 g {module:.4f} 0 0 {-module:.4f} {x:.3f} {top:.3f} cm\n"
                + "\n".join(rects)
                + "\nf Q"
            )

    def barcode(self, op: BarcodeOp) -> None:
        module = op.module_dots / dots_per_mm(op.dpi) * MM
        rows = op.height * MM / module
        self._modules(
            self.px(op.x),
            self.py(op.y),
            module,
            [f"{s} 0 {w} {rows:.3f} re" for s, w in op.bars],
        )

    def qr(self, op: QrOp) -> None:
        """An inline 1-bit image mask scaled to whole modules: one operator instead of a
        rectangle per run of dark modules (image masks are never interpolated)."""
        n = len(op.matrix)
        bits = np.packbits(np.frombuffer(b"".join(op.matrix), dtype=np.uint8).reshape(n, n), axis=1)
        side = n * op.module_dots / dots_per_mm(op.dpi) * MM
        x, top = self.px(op.x), self.py(op.y)
        self.c.addLiteral(
            f"q 0 g {side:.4f} 0 0 {side:.4f} {x:.3f} {top - side:.3f} cm "
            f"BI /W {n} /H {n} /IM true /BPC 1 /D [1 0] /F /AHx ID {bits.tobytes().hex()}> EI Q"
        )

    def line(self, op: LineOp) -> None:
        self.c.setLineWidth(op.thickness * MM)
        self.c.setStrokeGray(0)
        self.c.line(self.px(op.x1), self.py(op.y1), self.px(op.x2), self.py(op.y2))

    def rect(self, op: RectOp) -> None:
        c = self.c
        if op.fill:
            c.setFillGray(0)
            c.rect(self.px(op.x), self.py(op.y + op.height), op.width * MM, op.height * MM, 0, 1)
            return
        t = op.thickness
        c.setLineWidth(t * MM)
        c.setStrokeGray(0)
        c.rect(
            self.px(op.x + t / 2),
            self.py(op.y + op.height - t / 2),
            (op.width - t) * MM,
            (op.height - t) * MM,
            1,
            0,
        )

    def logo(self, op: ImageOp) -> None:
        self.c.drawImage(
            _logo(op.data),
            self.px(op.x),
            self.py(op.y + op.height),
            op.width * MM,
            op.height * MM,
            preserveAspectRatio=op.fit == "contain",
            anchor="c",
        )


class PdfRenderer(DocumentRenderer):
    """Multi-page PDF documents; a batch is one document, one page per label."""

    name = "pdf"
    LANGUAGES = frozenset({"pdf"})
    SETTINGS: ClassVar[Mapping[str, Setting]] = MappingProxyType({"compress": Setting(bool, True)})

    def _document(self, requests: Sequence[RenderRequest]) -> RenderedDocument:
        for request in requests:
            self._check_language(request)
        first = requests[0].template
        buffer = io.BytesIO()
        canvas = Canvas(
            buffer,
            pagesize=(first.width_mm * MM, first.height_mm * MM),
            invariant=1,
            pageCompression=1 if self.options["compress"] else 0,
            initialFontName=register_font(),
        )
        canvas.setCreator("orderhub")
        forms: dict[tuple[int, float, float], str] = {}
        keep: list[Planner] = []  # holds planners so their ids stay unique in `forms`
        pages = 0
        for request in requests:
            spec = request.template
            planner = planner_for(layout_for(spec), request.dpi)
            dx, dy = request.offset_x_mm, request.offset_y_mm
            key = (id(planner), dx, dy)
            if key not in forms and planner.static_ops:
                forms[key] = f"static{len(forms)}"
                keep.append(planner)
                canvas.beginForm(forms[key])
                _Page(canvas, spec.height_mm, dx, dy).draw(planner.static_ops)
                canvas.endForm()
            for ops in planner.pages(request.data):
                for _copy in range(request.copies):
                    canvas.setPageSize((spec.width_mm * MM, spec.height_mm * MM))
                    if key in forms:
                        canvas.doForm(forms[key])
                    _Page(canvas, spec.height_mm, dx, dy).draw(ops)
                    canvas.showPage()
                    pages += 1
        canvas.save()
        return RenderedDocument("pdf", buffer.getvalue(), pages, "application/pdf")


@hookimpl
def register_renderers() -> list[type[PdfRenderer]]:
    return [PdfRenderer]
