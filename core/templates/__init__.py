"""Templates: the data-driven layout of labels, packing slips, pick lists, product labels.

A template is a `TemplateSpec` (`core.contracts.renderer`): name, kind, media size in mm,
version, and a list of JSON elements. Units are millimetres from the top-left corner of
the media, font sizes in points. Elements (`type` and its keys; defaults in brackets):

- `text`: `x y width height`; exactly one of `field` (a data field such as
  `receiver.name`), `text` (literal) or `format` (literal with `{field}` placeholders);
  `font_size` [10], `bold` [false], `max_lines` [0 = as many as fit], `wrap` [true],
  `align` left|center|right, `shrink` [false: shrink to fit, down to 6 pt],
  `line_spacing` [1.15], `border` [false], `invert` [false: white on black],
  `mask` [false | true | name|phone|address | list of fields] — masks buyer data with
  `core.masking` (text that is already masked is left alone).
- `sort_code` (三段码/大头笔): a text with `field` sort_code, 28 pt, bold, one line,
  centred, shrunk to fit. `custom_area` (自定义区): a framed text, usually literal.
- `barcode`: `x y width height field|text`, Code 128; `show_text` [true], `text_size` [8],
  `max_module_mm` [0.5]. The renderer picks the widest whole-dot module that fits.
- `qrcode`: `x y size field|text|format`, `ecc` L|M|Q|H [M].
- `line`: `x1 y1 x2 y2`, `thickness` [0.3]. `box`: `x y width height`, `thickness`, `fill`.
- `image`: `x y width height data` (PNG/JPEG as base64, ≤ 256 KiB), `fit` contain|stretch.
- `items`: a table of a list field (`items`; `pick_lines` on pick lists): `columns`
  [{field, title, width, align}], `font_size` [9], `header` [true], `row_height` [auto],
  `group_by` (a row field), `overflow` truncate|paginate, `grid` [true].

`parse_layout` checks a template and raises one `ValidationError` naming template, element
index and key for every problem; every size, count and nesting depth is bounded by the
constants in `core.templates.limits` (NaN and ±Infinity are never in range). The data to
print is built with the dataclasses in `core.templates.data` (`LabelData` …) and their
`to_mapping()`.
"""

from __future__ import annotations

from core.templates.binding import bind, check_data
from core.templates.builtin import builtin_template, builtin_templates
from core.templates.data import (
    ItemLine,
    LabelData,
    PackingSlipData,
    Party,
    PickLine,
    PickListData,
    ProductLabelData,
    aggregate_pick_lines,
    items_summary,
    natural_key,
)
from core.templates.fields import KINDS, LIST_FIELDS, SCALAR_FIELDS
from core.templates.images import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, encode_image
from core.templates.samples import sample_data
from core.templates.serialization import (
    read_template_file,
    template_from_dict,
    template_from_json,
    template_to_dict,
    template_to_json,
)
from core.templates.validation import Layout, parse_layout

__all__ = [
    "KINDS",
    "LIST_FIELDS",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "SCALAR_FIELDS",
    "ItemLine",
    "LabelData",
    "Layout",
    "PackingSlipData",
    "Party",
    "PickLine",
    "PickListData",
    "ProductLabelData",
    "aggregate_pick_lines",
    "bind",
    "builtin_template",
    "builtin_templates",
    "check_data",
    "encode_image",
    "items_summary",
    "natural_key",
    "parse_layout",
    "read_template_file",
    "sample_data",
    "template_from_dict",
    "template_from_json",
    "template_to_dict",
    "template_to_json",
]
