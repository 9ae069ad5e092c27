"""Every size, count and nesting depth of a template is bounded (`core.templates.limits`):
out-of-range numbers, NaN and ±Infinity are refused when a template is read, naming the
element and key, and a file nested absurdly deep is one clear error, never a
RecursionError."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.contracts.renderer import TemplateSpec
from core.errors import ValidationError
from core.printing.testpage import build_test_page
from core.templates import builtin_template, limits, parse_layout, template_to_json
from core.templates.serialization import template_from_dict, template_from_json
from tests.rendering.limit_cases import FIELDS, HUGE, NOT_FINITE, VALID, with_value


def spec(*elements: dict[str, Any], w: Any = 76, h: Any = 130) -> TemplateSpec:
    return TemplateSpec(name="t1", kind="label", width_mm=w, height_mm=h, elements=elements)


def refused(element: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    with pytest.raises(ValidationError) as caught:
        parse_layout(spec(VALID["box"], element))
    return str(caught.value), caught.value.details["problems"]


def test_the_valid_elements_pass() -> None:
    layout = parse_layout(spec(*VALID.values()))
    assert len(layout.elements) == len(VALID)


@pytest.mark.parametrize(("kind", "key"), FIELDS)
@pytest.mark.parametrize("value", NOT_FINITE + HUGE)
def test_every_numeric_key_refuses_huge_and_non_finite_values(kind, key, value) -> None:
    message, found = refused(with_value(kind, key, value))
    assert [(p["element"], p["key"]) for p in found] == [(1, key)], found
    assert f"element 1 ({kind}) {key}: " in message
    assert "\n" not in message and len(message) < 300


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(FIELDS),
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True).filter(
            lambda v: not math.isfinite(v) or abs(v) > limits.MAX_MEDIA_MM
        ),
        st.integers(min_value=601).map(lambda v: v * 10**6),
        st.integers(max_value=-1),
    ),
)
def test_any_out_of_range_number_is_refused_naming_element_and_key(field, value) -> None:
    kind, key = field
    message, found = refused(with_value(kind, key, value))
    assert [(p["element"], p["key"]) for p in found] == [(1, key)]
    assert f"element 1 ({kind}) {key}: " in message


@pytest.mark.parametrize(
    ("kind", "key", "value", "words"),
    [
        ("barcode", "height", 1e308, "1e+308 is out of range 0.1–600 mm"),
        ("text", "x", math.nan, "NaN is out of range 0–600 mm"),
        ("text", "font_size", math.inf, "Infinity is out of range 4–200 pt"),
        ("text", "font_size", 1e-300, "1e-300 is out of range 4–200 pt"),
        ("text", "max_lines", 10**30, "1e+30 is out of range 0–500"),
        ("text", "line_spacing", 0.01, "0.01 is out of range 0.5–3"),
        ("line", "thickness", 0.001, "0.001 is out of range 0.05–50 mm"),
        ("barcode", "max_module_mm", 0.001, "0.001 is out of range 0.05–5 mm"),
        ("items", "row_height", 1e-300, "1e-300 is out of range 0 (automatic) or 1–600 mm"),
        ("items", "columns[0].width", math.inf, "Infinity is out of range 0.1–600 mm"),
    ],
)
def test_the_message_says_the_range(kind, key, value, words) -> None:
    message, _ = refused(with_value(kind, key, value))
    assert f"element 1 ({kind}) {key}: {words}" in message


def test_media_size_is_bounded_on_every_path() -> None:
    exported = json.loads(template_to_json(builtin_template("label-76x130")))
    for value, shown in ((1e308, "1e+308"), (100_000, "100000"), (5, "5"), (math.nan, "NaN")):
        for key in ("width_mm", "height_mm"):
            with pytest.raises(ValidationError) as caught:
                template_from_dict(exported | {key: value}, source="f.json")
            assert f"f.json: {key}: {shown} is out of range 10–600 mm" in str(caught.value)
            assert caught.value.details["field"] == key
        with pytest.raises(ValidationError, match=re.escape(f"width_mm: {shown} is out of range")):
            parse_layout(spec(w=value))
    with pytest.raises(ValidationError, match=r"width_mm: 1e\+400 is out of range"):
        template_from_dict(exported | {"width_mm": 10**400})
    text = template_to_json(builtin_template("label-76x130")).replace(
        '"width_mm": 76.0', '"width_mm": Infinity'
    )
    with pytest.raises(ValidationError, match="width_mm: Infinity is out of range 10–600 mm"):
        template_from_json(text)


def test_a_number_with_thousands_of_digits_is_refused_not_a_crash() -> None:
    text = template_to_json(builtin_template("label-76x130")).replace(
        '"height_mm": 130.0', '"height_mm": ' + "9" * 5000
    )
    with pytest.raises(ValidationError, match="height_mm: Infinity is out of range"):
        template_from_json(text)


def test_counts_and_lengths_are_bounded() -> None:
    line = VALID["line"]
    with pytest.raises(ValidationError, match="elements: 501 elements; at most 500") as caught:
        parse_layout(spec(*[line] * 501))
    assert len(str(caught.value)) < 200
    columns = [{"field": "title", "width": 1}] * 31
    _, found = refused(VALID["items"] | {"columns": columns})
    assert found[0]["key"] == "columns" and "31 columns; at most 30" in found[0]["message"]
    cases = [
        (VALID["text"] | {"text": "字" * 2001}, "text", "2001 characters; at most 2000"),
        (
            VALID["box"] | {"type": "text", "format": "{waybill_number}" + "x" * 2000},
            "format",
            "at most 2000",
        ),
        (VALID["barcode"] | {"text": "1" * 129}, "text", "129 characters; at most 128"),
        (VALID["qrcode"] | {"text": "码" * 342}, "text", "1026 bytes in UTF-8; at most 1024"),
        (
            with_value("items", "columns[0].width", 40)
            | {"columns": [{"field": "title", "width": 40, "title": "t" * 2001}]},
            "columns[0].title",
            "at most 2000",
        ),
        (
            VALID["items"] | {"columns": [{"field": "title", "width": 40, "title": {"a": 1}}]},
            "columns[0].title",
            "must be a string",
        ),
    ]
    for element, key, words in cases:
        message, found = refused(element)
        assert [p["key"] for p in found] == [key], found
        assert words in found[0]["message"]
        assert len(message) < 300


def test_a_long_list_of_problems_stays_one_readable_line() -> None:
    bad = VALID["box"] | {"width": -1}
    with pytest.raises(ValidationError) as caught:
        parse_layout(spec(*[bad] * 400))
    assert len(caught.value.details["problems"]) == 400
    message = str(caught.value)
    assert "\n" not in message and len(message) < 2000
    assert message.endswith("and 390 more problems")


def test_values_are_shown_briefly() -> None:
    message, _ = refused(VALID["text"] | {"font_size": "x" * 100_000})
    assert len(message) < 300
    message, _ = refused(VALID["text"] | {"y" * 100_000: 1})
    assert len(message) < 300


@pytest.mark.parametrize("depth", [11, 1000, 200_000])
def test_deep_nesting_is_one_clear_error(depth: int) -> None:
    exported = json.loads(template_to_json(builtin_template("product-label-50x30")))
    text = json.dumps(exported)
    nested = "[" * depth + "]" * depth
    deep = text.replace('"elements": [', f'"elements": [{nested}, ', 1)
    with pytest.raises(ValidationError) as caught:
        template_from_json(deep, source="deep.json")
    assert str(caught.value) == (
        f"deep.json: JSON nested {depth + 2} levels deep; a template nests at most "
        f"{limits.MAX_JSON_DEPTH}"
    )


def test_deeply_nested_objects_are_one_clear_error_too() -> None:
    with pytest.raises(ValidationError, match="nested 100002 levels deep"):
        template_from_json('{"a": ' * 100_001 + "[]" + "}" * 100_001, source="deep.json")


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    exported = json.loads(template_to_json(builtin_template("product-label-50x30")))
    exported["elements"].append(VALID["custom_area"] | {"text": '[[[[[[[[[[[[{{{{{{\\"\\['})
    again = template_from_json(json.dumps(exported))
    assert again.elements[-1]["text"].startswith("[[[[")


def test_a_deep_dict_from_python_is_refused_too() -> None:
    exported = json.loads(template_to_json(builtin_template("product-label-50x30")))
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ValidationError, match=r"nested \d+ levels deep"):
        template_from_dict(exported | {"elements": [{"type": "text", "mask": deep}]})


def test_oversized_json_text_is_refused() -> None:
    exported = json.loads(template_to_json(builtin_template("product-label-50x30")))
    exported["description"] = "x" * limits.MAX_TEMPLATE_BYTES
    with pytest.raises(ValidationError, match=r"big.json: \d[\d,]* bytes; at most 2,097,152"):
        template_from_json(json.dumps(exported), source="big.json")


def test_name_description_and_version_are_checked() -> None:
    exported = json.loads(template_to_json(builtin_template("product-label-50x30")))
    for changes, words in (
        ({"name": 5}, "name must be a string of 1–64 characters"),
        ({"name": "n" * 65}, "name must be a string of 1–64 characters"),
        ({"description": ["x"]}, "description must be a string"),
        ({"description": "d" * 2001}, "description is 2001 characters; at most 2000"),
        ({"version": 2**31}, "version must be a whole number from 1 to 2147483647"),
    ):
        with pytest.raises(ValidationError, match=words):
            template_from_dict(exported | changes)


def test_a_test_page_for_the_largest_and_a_small_media_is_within_the_bounds() -> None:
    for size in ((limits.MAX_MEDIA_MM, limits.MAX_MEDIA_MM), (40.0, 30.0)):
        page = build_test_page(
            printer="p" * 64,
            width_mm=size[0],
            height_mm=size[1],
            dpi=600,
            language="tspl",
            offset_x_mm=0,
            offset_y_mm=0,
        )
        assert len(page.elements) <= limits.MAX_ELEMENTS


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", ['"\\' * 700_000, '"' * 2_000_000, '["' + "x" * 2_000_000])
def test_counting_brackets_takes_linear_time_on_hostile_text(text: str) -> None:
    with pytest.raises(ValidationError, match="not valid JSON"):
        template_from_json(text, source="hostile.json")


def test_a_list_or_object_where_a_name_belongs_is_refused_not_a_type_error() -> None:
    items = VALID["items"]
    cases = [
        (items | {"field": [1]}, "field", "unknown list field [1]"),
        (items | {"columns": [{"field": [1], "width": 1}]}, "columns[0].field", "[1]"),
        (items | {"group_by": {"a": 1}}, "group_by", "unknown row field {'a': 1}"),
        (VALID["box"] | {"type": "text", "field": "receiver.name", "mask": {}}, "mask", "not {}"),
    ]
    for element, key, words in cases:
        _, found = refused(element)
        assert [p["key"] for p in found] == [key], found
        assert words in found[0]["message"]
