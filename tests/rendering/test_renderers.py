"""Every built-in template in every language, the byte structure of each printer language,
and the same picture whichever language carries it."""

from __future__ import annotations

import io
import re

import pytest
from PIL import ImageChops
from pypdf import PdfReader

from core.contracts.renderer import RenderRequest
from core.errors import NotSupported, ValidationError
from core.templates import builtin_template, builtin_templates, sample_data
from plugins.renderers.ops import media_dots
from tests.rendering.decode import escpos_raster, find_code128, tspl_bitmaps, zpl_raster
from tests.rendering.helpers import LANGUAGES, RENDERERS, WAYBILL, png_image, render

BUILTINS = tuple(builtin_templates())
PT_PER_MM = 72 / 25.4


def same(a, b) -> bool:
    return ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is None


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_renders_in_every_language(name: str, language: str) -> None:
    spec = builtin_template(name)
    document = render(language, name)
    assert document.language == language
    assert document.pages == 1
    content = document.content
    if language == "pdf":
        assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
        return
    preview = png_image(render("png", name))
    assert preview.size == media_dots(spec.width_mm, spec.height_mm, 203)
    if language == "png":
        assert preview.mode == "1"
        assert round(preview.info["dpi"][0]) == 203
        assert preview.convert("L").getextrema() == (0, 255)  # black ink on white
    elif language == "tspl":
        [bitmap] = tspl_bitmaps(content)
        assert same(bitmap.crop((0, 0, *preview.size)), preview)
    elif language == "zpl":
        assert same(zpl_raster(content.decode("utf-8")), preview)
    else:
        assert same(escpos_raster(content).crop((0, 0, *preview.size)), preview)


def test_tspl_structure_76x130() -> None:
    content = render("tspl", copies=3).content
    header = (
        b"SIZE 76 mm,130 mm\r\nGAP 2 mm,0 mm\r\nDIRECTION 1,0\r\nREFERENCE 0,0\r\n"
        b"DENSITY 8\r\nCLS\r\nBITMAP 0,0,76,1040,0,"
    )
    assert content.startswith(header)
    bitmap = content[len(header) : len(header) + 76 * 1040]
    assert content[len(header) + 76 * 1040 :] == b"\r\nPRINT 1,3\r\n"
    assert len(bitmap) == 79_040  # printing.md §0: 76 B/row × 1040 rows
    assert bitmap.count(0xFF) > 5 * bitmap.count(0x00)  # mostly white: a 1 bit is white


def test_tspl_settings_appear_in_the_header() -> None:
    settings = {"gap_mm": 0, "density": 12, "speed": 4, "direction": 0}
    content = render("tspl", settings=settings).content
    assert content.startswith(
        b"SIZE 76 mm,130 mm\r\nGAP 0 mm,0 mm\r\nDIRECTION 0,0\r\nREFERENCE 0,0\r\n"
        b"DENSITY 12\r\nSPEED 4\r\nCLS\r\n"
    )
    inverted = tspl_bitmaps(render("tspl", settings={"invert_bitmap": True}).content, invert=True)
    assert same(inverted[0], tspl_bitmaps(content)[0])


def test_zpl_structure_and_bands() -> None:
    small = render("zpl").content.decode()
    assert small.startswith("^XA\n^PW608\n^LL1040\n^LH0,0\n^FO0,0^GFA,79040,79040,76,")
    assert small.endswith("^PQ1\n^XZ\n")
    assert small.count("^GFA") == 1
    tall = render("zpl", "label-100x180").content.decode()  # 100 × 144 000 B: two bands
    fields = re.findall(r"\^FO0,(\d+)\^GFA,(\d+),(\d+),(\d+),", tall)
    assert [(int(top), int(b), int(bpr)) for top, b, _c, bpr in fields] == [
        (0, 99_900, 100),
        (999, 44_100, 100),
    ]
    assert sum(int(b) for _t, b, _c, _r in fields) == 100 * 1440
    uncompressed = render("zpl", settings={"compress": False}).content.decode()
    assert len(uncompressed) > len(small)
    assert same(zpl_raster(uncompressed), zpl_raster(small))


def test_escpos_structure() -> None:
    content = render("escpos", settings={"band_rows": 256, "feed_lines": 3, "cut": True}).content
    assert content.startswith(b"\x1b@\x1dv0\x00")
    bands = []
    at = 2
    while content[at : at + 4] == b"\x1dv0\x00":
        xl, xh, yl, yh = content[at + 4 : at + 8]
        bands.append((xl + 256 * xh, yl + 256 * yh))
        at += 8 + bands[-1][0] * bands[-1][1]
    assert bands == [(76, 256)] * 4 + [(76, 16)]
    assert content[at:] == b"\x1bd\x03\x1dVB\x00"
    twice = render("escpos", copies=2).content
    assert twice == render("escpos").content * 2


def test_pdf_opens_with_embedded_cjk_font_and_text() -> None:
    document = render("pdf")
    reader = PdfReader(io.BytesIO(document.content))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert round(float(page.mediabox.width) / PT_PER_MM) == 76
    assert round(float(page.mediabox.height) / PT_PER_MM) == 130
    fonts = list(page["/Resources"]["/Font"].values())
    descriptors = [f.get_object()["/FontDescriptor"].get_object() for f in fonts]
    assert any("/FontFile2" in d for d in descriptors)  # embedded TrueType
    names = [str(f.get_object()["/BaseFont"]) for f in fonts]
    assert all(re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei", n) for n in names)  # a subset
    text = page.extract_text()
    for expected in ("圆通速递", "300-A12 058", "深圳转运中心  5180", "张晓明", "13800001234"):
        assert expected in text  # the courier's label: the receiver whole, the hub and its code
    assert WAYBILL in text and "张**" not in text


def test_pdf_is_deterministic_and_small_in_batches() -> None:
    assert render("pdf").content == render("pdf").content
    spec = builtin_template("label-76x130")
    data = sample_data("label")
    batch = RENDERERS["pdf"]().render_batch([RenderRequest(spec, data, "pdf")] * 20)
    assert batch.pages == 20
    assert len(PdfReader(io.BytesIO(batch.content)).pages) == 20
    assert len(batch.content) < 3 * len(render("pdf").content)  # font and static part once


@pytest.mark.parametrize("language", ["tspl", "zpl", "escpos", "png"])
def test_raster_output_is_deterministic(language: str) -> None:
    assert render(language).content == render(language).content


@pytest.mark.parametrize("name", ["label-76x130", "label-100x150", "label-100x180"])
@pytest.mark.parametrize("dpi", [203, 300])
def test_waybill_barcode_decodes_from_the_png(name: str, dpi: int) -> None:
    assert find_code128(png_image(render("png", name, dpi=dpi))) == WAYBILL


def test_product_label_barcode_decodes() -> None:
    assert find_code128(png_image(render("png", "product-label-50x30"))) == "6901234567892"


def test_barcode_in_tspl_bitmap_decodes_too() -> None:
    [bitmap] = tspl_bitmaps(render("tspl", dpi=300).content)
    assert find_code128(bitmap) == WAYBILL


def test_batches_concatenate_documents_in_order() -> None:
    spec = builtin_template("label-76x130")
    requests = [
        RenderRequest(spec, sample_data("label") | {"waybill_number": f"YT75000000000{n}"}, "tspl")
        for n in range(3)
    ]
    batch = RENDERERS["tspl"]().render_batch(requests)
    assert batch.pages == 3
    assert batch.content.count(b"PRINT 1,1\r\n") == 3
    assert [find_code128(b) for b in tspl_bitmaps(batch.content)] == [
        f"YT75000000000{n}" for n in range(3)
    ]
    assert batch.content == b"".join(RENDERERS["tspl"]().render(r).content for r in requests)
    with pytest.raises(ValidationError, match="batch is empty"):
        RENDERERS["tspl"]().render_batch([])
    with pytest.raises(NotSupported, match=r"png.*batch rendering"):
        RENDERERS["png"]().render_batch([RenderRequest(spec, sample_data("label"), "png")])


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_language_the_renderer_lacks_is_not_supported(language: str) -> None:
    other = "zpl" if language != "zpl" else "tspl"
    spec = builtin_template("label-76x130")
    with pytest.raises(NotSupported):
        RENDERERS[language]().render(RenderRequest(spec, sample_data("label"), other))


@pytest.mark.parametrize("language", LANGUAGES)
def test_missing_data_field_is_named(language: str) -> None:
    data = sample_data("label")
    del data["sort_code"]
    del data["receiver"]["phone"]
    with pytest.raises(ValidationError) as caught:
        render(language, data=data)
    assert caught.value.details["missing"] == ["sort_code", "receiver.phone"]
    assert "template 'label-76x130': render data lacks field(s) sort_code, receiver.phone" in str(
        caught.value
    )
