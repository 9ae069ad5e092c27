"""Per-printer options (dpi, offsets, resident fonts, native barcodes, settings), long
documents over several pages, logos, and the caches never serving a stale picture."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import replace

import pytest
from PIL import Image, ImageChops, ImageDraw
from pypdf import PdfReader

from core.config import PluginSettings
from core.contracts.renderer import RenderRequest, TemplateSpec
from core.errors import ConfigurationError, ValidationError
from core.plugins.host import PluginHost
from core.templates import ItemLine, builtin_template, sample_data, template_from_json
from core.templates import template_to_json as to_json
from core.templates.data import PickLine, PickListData
from core.templates.samples import sample_label
from tests.rendering.decode import DecodeError, find_code128, tspl_bitmaps
from tests.rendering.helpers import RENDERERS, WAYBILL, png_image, render

PT_PER_MM = 72 / 25.4


def test_renderers_come_in_through_the_entry_point_group() -> None:
    host = PluginHost(PluginSettings(only=("orderhub",)))
    host.load()
    assert {name: cls for name, cls in host.renderers().items() if name in RENDERERS} == RENDERERS
    assert not host.failed


@pytest.mark.parametrize(
    ("dpi", "size", "width_bytes"), [(203, (608, 1040), 76), (300, (898, 1535), 113)]
)
def test_dpi_sets_the_raster_size(dpi: int, size: tuple[int, int], width_bytes: int) -> None:
    assert png_image(render("png", dpi=dpi)).size == size
    content = render("tspl", dpi=dpi).content
    assert f"BITMAP 0,0,{width_bytes},{size[1]},0,".encode() in content
    assert f"^PW{size[0]}\n^LL{size[1]}\n".encode() in render("zpl", dpi=dpi).content
    escpos = render("escpos", dpi=dpi).content
    assert escpos[6:8] == bytes([width_bytes, 0])


def test_barcode_modules_are_whole_dots_at_each_dpi() -> None:
    """Bars are drawn at an integer module width: every bar and space in the scanline is
    a multiple of the narrowest one."""
    for dpi in (203, 300):
        image = png_image(render("png", dpi=dpi)).convert("L")
        per_mm = 8 if dpi == 203 else dpi / 25.4
        y = round(45 * per_mm)  # through the bars of label-76x130's barcode
        inside = range(round(2 * per_mm), round(74 * per_mm))  # within the label's frame
        row = [image.getpixel((x, y)) < 128 for x in inside]
        first, last = row.index(True), len(row) - row[::-1].index(True)
        widths, run = [], 1
        for a, b in zip(row[first:last], row[first + 1 : last], strict=False):
            if a == b:
                run += 1
            else:
                widths.append(run)
                run = 1
        widths.append(run)
        module = min(widths)
        assert module >= 2
        assert all(w % module == 0 for w in widths), (dpi, module, sorted(set(widths)))


@pytest.mark.parametrize("language", ["png", "tspl"])
def test_offsets_shift_the_whole_label(language: str) -> None:
    def image(**offsets: float) -> Image.Image:
        document = render(language, **offsets)
        return png_image(document) if language == "png" else tspl_bitmaps(document.content)[0]

    base = image()
    shifted = image(offset_x_mm=2, offset_y_mm=1)  # 16 and 8 dots at 203 dpi
    w, h = base.size
    assert shifted.crop((16, 8, w, h)).tobytes() == base.crop((0, 0, w - 16, h - 8)).tobytes()
    back = image(offset_x_mm=-1.5, offset_y_mm=-0.5)  # 12 and 4 dots
    assert back.crop((0, 0, w - 12, h - 4)).tobytes() == base.crop((12, 4, w, h)).tobytes()
    assert find_code128(shifted) == WAYBILL


def test_offsets_shift_pdf_content() -> None:
    def waybill_position(**offsets: float) -> tuple[float, float]:
        found = []

        def visit(text, cm, tm, font, size) -> None:
            if text.strip() == WAYBILL:
                found.append((tm[4], tm[5]))

        PdfReader(io.BytesIO(render("pdf", **offsets).content)).pages[0].extract_text(
            visitor_text=visit
        )
        return found[0]

    x0, y0 = waybill_position()
    x1, y1 = waybill_position(offset_x_mm=2, offset_y_mm=1)
    assert x1 - x0 == pytest.approx(2 * PT_PER_MM, abs=0.01)
    assert y0 - y1 == pytest.approx(1 * PT_PER_MM, abs=0.01)  # down the page


def test_tspl_resident_font_sends_text_commands_in_gbk() -> None:
    settings = {"resident_font": "TSS24.BF2"}
    content = render("tspl", settings=settings).content
    texts = re.findall(rb'TEXT (\d+),(\d+),"TSS24\.BF2",0,(\d+),(\d+),"(.*?)"\r\n', content)
    lines = [t[4].decode("gbk") for t in texts]
    assert "深圳转运中心  5180" in lines  # 集包地 name and code
    assert "300-A12 058" in lines
    assert "张晓明  13800001234" in lines  # the built-in label prints the receiver whole
    sort_code = texts[lines.index("300-A12 058")]
    assert int(sort_code[2]) >= 3  # 34 pt ≈ 96 dots: a multiplier of 4 on the 24-dot font
    assert "收" not in lines  # white-on-black text stays in the raster
    raster_ink = _ink(tspl_bitmaps(content)[0])
    assert raster_ink < 0.8 * _ink(tspl_bitmaps(render("tspl").content)[0])
    assert find_code128(tspl_bitmaps(content)[0]) == WAYBILL  # the barcode stays drawn
    assert content.endswith(b"PRINT 1,1\r\n")


def test_zpl_resident_font_uses_utf8_fields() -> None:
    content = render("zpl", settings={"resident_font": "E:SIMSUN.TTF"}).content.decode("utf-8")
    assert content.startswith("^XA\n^CI28\n")
    assert re.search(r"\^A@N,\d+,\d+,E:SIMSUN\.TTF\^FB\d+,1,0,C,0\^FH_\^FD300-A12 058\^FS", content)
    assert "^FD深圳转运中心  5180^FS" in content
    data = sample_data("label") | {"remarks": "a_b^c~d"}
    escaped = render("zpl", data=data, settings={"resident_font": "E:SIMSUN.TTF"}).content
    assert "^FD备注：a_5Fb_5Ec_7Ed^FS" in escaped.decode()


def test_native_barcode_commands_replace_the_drawn_bars() -> None:
    content = render("tspl", settings={"native_barcode": True}).content
    match = re.search(
        rb'BARCODE (\d+),(\d+),"128",(\d+),0,0,(\d),(\d),"YT7500012345678"\r\n', content
    )
    assert match and match[4] == match[5] == b"3"  # 3-dot modules at 203 dpi
    with pytest.raises(DecodeError):
        find_code128(tspl_bitmaps(content)[0])
    zpl = render("zpl", settings={"native_barcode": True}).content.decode()
    assert re.search(r"\^FO\d+,\d+\^BY3\^BCN,\d+,N,N,N,A\^FH_\^FDYT7500012345678\^FS", zpl)


@pytest.mark.parametrize(
    ("language", "settings", "message"),
    [
        ("tspl", {"density": 20}, "density must be between 0 and 15"),
        ("tspl", {"colour": "red"}, "unknown setting"),
        ("tspl", {"native_barcode": "yes"}, "native_barcode must be of type bool"),
        ("zpl", {"compress": 1}, "compress must be of type bool"),
        ("escpos", {"band_rows": 5000}, "band_rows must be between 8 and 2303"),
        ("escpos", {"resident_font": "X"}, "unknown setting"),
        ("pdf", {"compress": "no"}, "compress must be of type bool"),
    ],
)
def test_bad_settings_are_configuration_errors(language: str, settings: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RENDERERS[language](settings)


def long_pick_list(lines: int) -> dict:
    picks = tuple(
        PickLine(
            "圆通速递" if n < lines // 2 else "中通快递",
            f"SKU-{n:03d}",
            f"商品 {n}",
            1 + n % 4,
            location=f"A-{n // 10:02d}-{n % 10:02d}",
        )
        for n in range(lines)
    )
    return PickListData("PB-LONG", picks, order_count=lines).to_mapping()


def test_a_long_pick_list_continues_on_further_pages() -> None:
    data = long_pick_list(120)
    pdf = render("pdf", "pick-list-a4", data=data)
    assert pdf.pages == 3
    reader = PdfReader(io.BytesIO(pdf.content))
    texts = [page.extract_text() for page in reader.pages]
    assert [f"第 {n}/3 页" in t for n, t in enumerate(texts, 1)] == [True] * 3
    assert "SKU-000" in texts[0] and "SKU-119" in texts[2] and "SKU-119" not in texts[0]
    assert "【中通快递】" in "".join(texts) and "【圆通速递】" in texts[0]
    assert render("png", "pick-list-a4", data=data, dpi=100).pages == 3
    tspl = render("tspl", "pick-list-a4", data=data, dpi=100)
    assert tspl.pages == 3 and tspl.content.count(b"PRINT 1,1") == 3


def test_a_label_table_that_overflows_says_how_many_rows_are_hidden() -> None:
    label = sample_label()
    items = tuple(ItemLine(f"商品{n}", 1, spec="红色") for n in range(10))
    data = replace(label, items=items).to_mapping()
    text = (
        PdfReader(io.BytesIO(render("pdf", "label-100x150", data=data).content))
        .pages[0]
        .extract_text()
    )
    assert "商品0" in text and "商品2" in text and "商品3" not in text
    assert "… 另有 7 项" in text


def _ink(image: Image.Image) -> int:
    return image.convert("L").histogram()[0]


def logo_template(size: tuple[int, int]) -> TemplateSpec:
    logo = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=(200, 0, 0, 255))
    buffer = io.BytesIO()
    logo.save(buffer, "PNG")
    element = {
        "type": "image",
        "x": 50,
        "y": 2,
        "width": 20,
        "height": 8,
        "data": base64.b64encode(buffer.getvalue()).decode(),
    }
    base = builtin_template("label-76x130")
    return TemplateSpec("with-logo", "label", 76, 130, (*base.elements, element))


def test_logo_is_drawn_in_its_box_in_raster_and_pdf() -> None:
    image = png_image(render("png", logo_template((120, 60))))
    box = image.crop((50 * 8, 2 * 8, 70 * 8, 10 * 8))
    assert 0.3 < _ink(box) / (box.width * box.height) < 0.9  # a dithered red disc
    plain = png_image(render("png"))
    assert _ink(plain.crop((50 * 8, 2 * 8 + 20, 70 * 8, 10 * 8))) < _ink(box) / 4
    reader = PdfReader(io.BytesIO(render("pdf", logo_template((120, 60))).content))
    assert (120, 60) in {im.image.size for im in reader.pages[0].images}  # QR is the other


def test_an_oversized_image_is_refused_when_rendering() -> None:
    noise = Image.frombytes("RGB", (400, 400), bytes(range(256)) * 1875)
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    element = {
        "type": "image",
        "x": 1,
        "y": 1,
        "width": 10,
        "height": 10,
        "data": base64.b64encode(buffer.getvalue()).decode(),
    }
    spec = TemplateSpec("big-logo", "label", 76, 130, (element,))
    with pytest.raises(ValidationError, match=r"'big-logo': element 0 \(image\) data: image is 4"):
        render("tspl", spec, data=sample_data("label"))


def test_a_barcode_too_narrow_for_its_data_names_the_element() -> None:
    spec = TemplateSpec(
        "narrow",
        "label",
        76,
        130,
        (
            {
                "type": "barcode",
                "x": 1,
                "y": 1,
                "width": 15,
                "height": 10,
                "field": "waybill_number",
            },
        ),
    )
    with pytest.raises(ValidationError) as caught:
        render("png", spec)
    assert caught.value.details == {"template": "narrow", "element": 0, "field": "width"}
    assert "needs 165 modules with quiet zones, but 15 mm is only 120 dots at 203 dpi" in str(
        caught.value
    )
    assert find_code128(png_image(render("png", spec, dpi=600))) == WAYBILL  # fits at 600 dpi


def test_caches_follow_the_template_content() -> None:
    """An edited template (same name and version) never reuses a cached picture, and an
    equal template built anew gets the same bytes."""
    spec = builtin_template("label-76x130")
    copy = template_from_json(to_json(spec))
    assert copy is not spec
    assert render("tspl", copy).content == render("tspl", spec).content
    elements = list(spec.elements)
    elements[0] = dict(elements[0]) | {"thickness": 1.5}  # the static outer frame
    edited = TemplateSpec(
        spec.name, spec.kind, spec.width_mm, spec.height_mm, tuple(elements), spec.version
    )
    a, b = png_image(render("png", spec)), png_image(render("png", edited))
    assert ImageChops.difference(a.convert("L"), b.convert("L")).getbbox() is not None


def test_render_request_data_changes_only_the_variable_part() -> None:
    spec = builtin_template("label-76x130")
    other = sample_data("label") | {"waybill_number": "JT0012345678901", "sort_code": "721-B03 11"}
    renderer = RENDERERS["png"]()
    first = png_image(renderer.render(RenderRequest(spec, sample_data("label"), "png")))
    second = png_image(renderer.render(RenderRequest(spec, other, "png")))
    assert find_code128(first) == WAYBILL
    assert find_code128(second) == "JT0012345678901"
    again = png_image(renderer.render(RenderRequest(spec, sample_data("label"), "png")))
    assert again.tobytes() == first.tobytes()
