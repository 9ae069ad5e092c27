"""Templates: validation errors that name template, element and key; JSON import/export;
built-ins; the data classes that feed them."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from core.contracts.renderer import TemplateSpec
from core.contracts.types import Contact
from core.errors import NotFound, ValidationError
from core.templates import (
    KINDS,
    LIST_FIELDS,
    MAX_IMAGE_BYTES,
    SCALAR_FIELDS,
    ItemLine,
    LabelData,
    Party,
    aggregate_pick_lines,
    bind,
    builtin_template,
    builtin_templates,
    check_data,
    encode_image,
    parse_layout,
    sample_data,
    template_from_dict,
    template_from_json,
    template_to_json,
)
from core.templates.elements import FieldRef, TextElement
from core.templates.samples import sample_label


def spec(
    *elements: dict[str, Any], kind: str = "label", w: float = 76, h: float = 130
) -> TemplateSpec:
    return TemplateSpec(name="t1", kind=kind, width_mm=w, height_mm=h, elements=elements)


def problems(*elements: dict[str, Any], kind: str = "label") -> tuple[str, list[dict[str, Any]]]:
    with pytest.raises(ValidationError) as caught:
        parse_layout(spec(*elements, kind=kind))
    return caught.value.message, caught.value.details["problems"]


TEXT = {"type": "text", "x": 1, "y": 1, "width": 20, "height": 5}


def png_bytes(size: tuple[int, int], noise: bool = False) -> bytes:
    image = Image.new("RGB", size, "white")
    if noise:
        image = Image.frombytes("RGB", size, bytes(range(256)) * (size[0] * size[1] * 3 // 256 + 1))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=0 if noise else 9)
    return buffer.getvalue()


def test_unknown_element_type_names_template_element_and_type() -> None:
    message, found = problems(TEXT | {"text": "ok"}, {"type": "circle", "x": 1})
    assert message.startswith(
        "template 't1': element 1 (circle) type: unknown element type 'circle'"
    )
    assert found == [
        {"element": 1, "type": "circle", "key": "type", "message": found[0]["message"]}
    ]


def test_unknown_key_and_unknown_field_are_both_reported() -> None:
    message, found = problems(TEXT | {"field": "receiver.nmae", "colour": "red"})
    keys = {p["key"] for p in found}
    assert keys == {"colour", "field"}
    assert "unknown key 'colour' for a text element" in message
    assert "unknown field 'receiver.nmae' for a label template" in message


def test_format_placeholders_are_checked_against_the_catalogue() -> None:
    message, _ = problems(TEXT | {"format": "收：{receiver.name} {receiver.mobile}"})
    assert "unknown field 'receiver.mobile'" in message
    message, _ = problems(TEXT | {"format": "{receiver.name!r}"})
    assert "format specs and conversions are not supported" in message


def test_fields_depend_on_the_template_kind() -> None:
    message, _ = problems(TEXT | {"field": "waybill_number"}, kind="pick_list")
    assert "unknown field 'waybill_number' for a pick_list template" in message
    message, _ = problems(TEXT | {"field": "items"})
    assert "a list field: use an items element" in message


def test_off_media_and_negative_sizes() -> None:
    message, found = problems(
        {"type": "box", "x": 70, "y": 1, "width": 10, "height": 5},
        {"type": "box", "x": 1, "y": 1, "width": -3, "height": 5},
        {"type": "line", "x1": 1, "y1": 100, "x2": 1, "y2": 140},
        {"type": "text", "x": -1, "y": 1, "width": 5, "height": 5, "text": "a"},
    )
    assert [p["element"] for p in found] == [0, 1, 2, 3]
    assert "past the right edge of the 76 mm wide media" in found[0]["message"]
    assert found[1]["key"] == "width" and "positive" in found[1]["message"]
    assert "past the bottom edge of the 130 mm tall media" in found[2]["message"]
    assert found[3]["key"] == "x" and "negative" in found[3]["message"]
    assert "element 0 (box) x:" in message


def test_missing_required_keys() -> None:
    _, found = problems(
        {"type": "text", "x": 1, "y": 1, "width": 5, "height": 5},
        {"type": "barcode", "x": 1, "y": 1, "height": 5, "field": "waybill_number"},
        {"type": "image", "x": 1, "y": 1, "width": 5, "height": 5},
        {"type": "items", "x": 1, "y": 1, "width": 50, "height": 20},
    )
    assert [(p["element"], p["key"]) for p in found] == [
        (0, "field"),
        (1, "width"),
        (2, "data"),
        (3, "columns"),
    ]
    assert "give exactly one of field, text, format" in found[0]["message"]


def test_bad_values() -> None:
    _, found = problems(
        TEXT | {"text": "a", "font_size": "big"},
        TEXT | {"text": "a", "align": "justify"},
        TEXT | {"text": "a", "bold": "yes"},
        TEXT | {"text": "a", "max_lines": 1.5},
        {"type": "qrcode", "x": 1, "y": 1, "width": 10, "height": 12, "text": "q"},
        {
            "type": "barcode",
            "x": 1,
            "y": 1,
            "width": 50,
            "height": 10,
            "text": "1",
            "symbology": "ean13",
        },
    )
    assert [p["key"] for p in found] == [
        "font_size",
        "align",
        "bold",
        "max_lines",
        "height",
        "symbology",
    ]


def test_mask_rules() -> None:
    _, found = problems(
        TEXT | {"field": "order.number", "mask": True},
        TEXT | {"format": "{receiver.name}{receiver.phone}", "mask": "phone"},
        TEXT | {"format": "{receiver.name}", "mask": ["receiver.phone"]},
        TEXT | {"field": "receiver.name", "mask": "surname"},
    )
    assert [p["element"] for p in found] == [0, 1, 2, 3]
    assert "cannot tell how to mask order.number" in found[0]["message"]
    assert "applies to one field" in found[1]["message"]
    layout = parse_layout(
        spec(
            TEXT | {"format": "{sender.name} {receiver.phone}", "mask": ["receiver.phone"]},
            TEXT | {"format": "{receiver.name} {receiver.phone}", "mask": True},
        )
    )
    first, second = layout.elements
    assert isinstance(first, TextElement) and isinstance(second, TextElement)
    assert first.content == (FieldRef("sender.name"), " ", FieldRef("receiver.phone", "phone"))
    assert second.content[0] == FieldRef("receiver.name", "name")


def test_items_element_checks_columns_and_list_field() -> None:
    items = {"type": "items", "x": 1, "y": 1, "width": 50, "height": 20}
    _, found = problems(
        items | {"columns": [{"field": "title", "width": 60}]},
        items | {"columns": [{"field": "price", "width": 10}]},
        items | {"field": "pick_lines", "columns": [{"field": "title", "width": 10}]},
        items | {"columns": [{"field": "title", "width": 10}], "group_by": "colour"},
    )
    messages = [p["message"] for p in found]
    assert "columns are 60 mm wide in a 50 mm table" in messages[0]
    assert "unknown row field 'price'" in messages[1]
    assert "unknown list field 'pick_lines' for a label template" in messages[2]
    assert "unknown row field 'colour'" in messages[3]


def test_oversized_and_broken_images_are_refused() -> None:
    big = png_bytes((600, 600), noise=True)
    assert len(big) > MAX_IMAGE_BYTES
    image = {"type": "image", "x": 1, "y": 1, "width": 20, "height": 10}
    _, found = problems(
        image | {"data": base64.b64encode(big).decode()},
        image | {"data": "not base64!"},
        image | {"data": base64.b64encode(b"GIF89a....").decode()},
        image | {"data": encode_image(png_bytes((2000, 1001)))},
    )
    messages = [p["message"] for p in found]
    assert f"at most {MAX_IMAGE_BYTES:,} bytes are allowed" in messages[0]
    assert "not valid base64" in messages[1]
    assert "not a PNG or JPEG image" in messages[2]
    assert "2000×1001 pixels" in messages[3]
    ok = parse_layout(
        spec(image | {"data": "data:image/png;base64," + encode_image(png_bytes((40, 20)))})
    )
    assert ok.elements[0].static


def test_unknown_kind() -> None:
    with pytest.raises(ValidationError, match="kind must be one of label, packing_slip"):
        parse_layout(spec(kind="envelope"))


def test_static_and_variable_elements() -> None:
    layout = parse_layout(builtin_template("label-76x130"))
    static = {e.index for e in layout.elements if e.static}
    variable = {e.index for e in layout.elements if not e.static}
    assert static and variable
    assert all(e.type in ("box", "line", "text") for e in layout.elements if e.index in static)
    assert {e.type for e in layout.elements if e.index in variable} >= {"barcode", "qrcode"}


def test_json_round_trip_of_every_builtin() -> None:
    for name, template in builtin_templates().items():
        text = template_to_json(template)
        again = template_from_json(text, source=name)
        assert again == template
        assert "发货单" in text or template.kind != "packing_slip"  # Chinese stays readable


def test_import_errors_name_the_source() -> None:
    with pytest.raises(ValidationError, match=r"my\.json: not valid JSON: .* line 1 column 2"):
        template_from_json("{oops", source="my.json")
    with pytest.raises(ValidationError, match="not an orderhub template"):
        template_from_json('{"name": "x"}', source="my.json")
    exported = json.loads(template_to_json(builtin_template("product-label-50x30")))
    with pytest.raises(ValidationError, match="format_version 2 is not supported"):
        template_from_dict(exported | {"format_version": 2})
    with pytest.raises(ValidationError, match=r"unknown key.*colour"):
        template_from_dict(exported | {"colour": "red"})
    with pytest.raises(ValidationError, match="width_mm must be a number"):
        template_from_dict(exported | {"width_mm": "50"})
    exported["elements"][0]["field"] = "sku.colour"
    with pytest.raises(ValidationError) as caught:
        template_from_dict(exported, source="product.json")
    assert caught.value.details["element"] == 0
    assert "template 'product-label-50x30': element 0 (text) field: unknown field" in str(
        caught.value
    )


def test_builtins_cover_the_issue_list() -> None:
    templates = builtin_templates()
    sizes = {(t.kind, t.width_mm, t.height_mm) for t in templates.values()}
    assert {("label", 76, 130), ("label", 100, 150), ("label", 100, 180)} <= sizes
    assert {("packing_slip", 210, 297), ("packing_slip", 148, 210)} <= sizes
    assert {"pick_list", "product_label"} <= {t.kind for t in templates.values()}
    with pytest.raises(NotFound, match="no built-in template 'label-60x40'; there are: "):
        builtin_template("label-60x40")


@pytest.mark.parametrize("kind", KINDS)
def test_sample_data_fills_exactly_the_catalogue(kind: str) -> None:
    data = sample_data(kind)

    def paths(mapping: dict[str, Any], prefix: str = "") -> set[str]:
        out = set()
        for key, value in mapping.items():
            if isinstance(value, dict):
                out |= paths(value, f"{prefix}{key}.")
            else:
                out.add(prefix + key)
        return out

    page = {"page.number", "page.count"}
    assert paths(data) == (set(SCALAR_FIELDS[kind]) - page) | set(LIST_FIELDS[kind])
    for field, row_fields in LIST_FIELDS[kind].items():
        assert data[field], field
        assert all(set(row) == set(row_fields) for row in data[field])


def test_binding_masks_and_reports_missing_fields() -> None:
    layout = parse_layout(
        spec(
            TEXT | {"format": "{receiver.name} {receiver.phone}", "mask": True},
            TEXT | {"field": "remarks"},
        )
    )
    data = sample_label().to_mapping()
    assert bind(layout.elements[0].content, data) == "张** 138****1234"
    masked = data | {"receiver": {"name": "张**", "phone": "138****1234", "address": ""}}
    assert bind(layout.elements[0].content, masked) == "张** 138****1234"  # not masked twice
    del data["remarks"]
    del data["receiver"]["phone"]
    with pytest.raises(ValidationError) as caught:
        check_data(layout, data)
    assert caught.value.details["missing"] == ["receiver.phone", "remarks"]
    assert "render data lacks field(s) receiver.phone, remarks" in str(caught.value)


def test_party_from_contact() -> None:
    contact = Contact(
        name="张晓明",
        phone="13800001234",
        province="广东省",
        city="深圳市",
        district="南山区",
        address="科技南十二路 2 号",
        town="粤海街道",
    )
    assert Party.from_contact(contact) == Party(
        "张晓明", "13800001234", "广东省 深圳市 南山区 粤海街道 科技南十二路 2 号"
    )
    masked = Party.from_contact(contact, masked=True)
    assert (masked.name, masked.phone) == ("张**", "138****1234")
    assert masked.address.endswith("科技南十二路****")
    encrypted = Contact(
        name="~enc~",
        phone="~enc~",
        province="广东省",
        city="深圳市",
        district="南山区",
        address="~enc~",
        encrypted=True,
        name_masked="张*",
        phone_masked="*******1234",
        address_masked="科技南****",
    )
    assert Party.from_contact(encrypted) == Party(
        "张*", "*******1234", "广东省 深圳市 南山区 科技南****"
    )


def test_label_data_mapping() -> None:
    label = sample_label()
    data = label.to_mapping()
    assert data["order"]["number"] == "261127-045612389012345,261127-045612389012346"
    assert data["items_summary"].startswith("纯棉短袖T恤 男款 白色/XL ×2；")
    assert data["total_quantity"] == "6"
    assert data["print_time"] == "2026-11-27 14:30"  # Beijing time
    assert data["package"] == {"index": "1", "count": "1", "weight": "1.35kg"}
    assert data["items"][0]["amount"] == "¥98.00"
    with pytest.raises(ValidationError, match="waybill number"):
        LabelData(waybill_number=" ", receiver=Party(), sender=Party())
    with pytest.raises(ValidationError, match="package 3 of 2"):
        LabelData(
            waybill_number="1", receiver=Party(), sender=Party(), package_index=3, package_count=2
        )
    with pytest.raises(ValidationError, match="quantity must be positive"):
        ItemLine("x", 0)


def test_pick_lines_aggregate_by_carrier_and_sku() -> None:
    shirt = ItemLine("T恤", 2, spec="白/XL", sku="TS-XL", location="A-01")
    cup = ItemLine("杯子", 1, sku="CUP", location="B-02")
    loose = ItemLine("赠品贴纸", 1)
    lines = aggregate_pick_lines(
        [
            ("圆通", "o1", shirt),
            ("圆通", "o2", shirt),
            ("圆通", "o2", cup),
            ("中通", "o3", shirt),
            ("圆通", "o3", loose),
            ("圆通", "o4", loose),
        ]
    )
    summary = [(p.carrier, p.sku or p.title, p.quantity, p.orders, p.location) for p in lines]
    assert summary == [
        ("中通", "TS-XL", 2, 1, "A-01"),
        ("圆通", "TS-XL", 4, 2, "A-01"),
        ("圆通", "CUP", 1, 1, "B-02"),
        ("圆通", "赠品贴纸", 2, 2, ""),
    ]


def test_format_of_the_sample_label_time_is_beijing() -> None:
    label = LabelData(
        waybill_number="1",
        receiver=Party(),
        sender=Party(),
        print_time=datetime(2026, 1, 1, 16, 5, tzinfo=UTC),
    )
    assert label.to_mapping()["print_time"] == "2026-01-02 00:05"
