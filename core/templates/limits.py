"""The bounds on every size, count and nesting depth a template may hold, in one place.

A template is checked against these when it is imported or read back (see
`core.templates.validation` and `core.templates.serialization`), so a number that would
blow up at print time (1e308 mm, NaN, a 100 m page, a file nested 200,000 levels deep) is
refused up front with the key it was found at. They come from real printing: e-waybill
labels are 76×130 to 100×210 mm, thermal printers print 203 or 300 dpi (8 or 11.8 dots per
mm, so a dot is 0.085–0.125 mm), packing slips and pick lists are A4/A5 PDFs, and a
printer's media is 10–600 mm (`core.printing.printers.MEDIA_RANGE_MM`). docs/templates.md
lists them for template authors.
"""

from __future__ import annotations

#: Media (page) width and height, mm: the printer media range.
MIN_MEDIA_MM = 10.0
MAX_MEDIA_MM = 600.0
#: Width and height of an element's box, and an items column's width, mm (under one dot
#: is invisible; the upper bound is the largest media).
MIN_ELEMENT_MM = 0.1
MAX_ELEMENT_MM = MAX_MEDIA_MM
#: Positions (x, y, x1 … y2) run from 0 to the largest media's edge.
MAX_POSITION_MM = MAX_MEDIA_MM
#: Font sizes (`font_size`, `text_size`), points; shrink-to-fit stops at 6 pt anyway.
MIN_FONT_PT = 4.0
MAX_FONT_PT = 200.0
#: Line spacing of wrapped text, a multiple of the font size.
MIN_LINE_SPACING = 0.5
MAX_LINE_SPACING = 3.0
#: Line and frame thickness, mm.
MIN_THICKNESS_MM = 0.05
MAX_THICKNESS_MM = 50.0
#: The widest Code 128 module the renderer may pick, mm.
MIN_MODULE_MM = 0.05
MAX_MODULE_MM = 5.0
#: An items table's `row_height`, mm (0 = from the font size).
MIN_ROW_MM = 1.0
MAX_ROW_MM = MAX_MEDIA_MM
#: `max_lines` of a text (0 = as many as fit): 4 pt lines on the largest media.
MAX_LINES = 500
#: Elements in one template (the built-ins use at most 35; a test page's rulers ~300).
MAX_ELEMENTS = 500
#: Columns of one items table.
MAX_COLUMNS = 30
#: Characters of literal text: a `text` or `format`, a column title, a description.
MAX_TEXT_CHARS = 2000
#: Characters of a barcode's literal `text` (a waybill number is 10–20).
MAX_BARCODE_CHARS = 128
#: UTF-8 bytes of a QR code's literal `text` or `format` (QR version 40 at ecc H holds
#: 1,273 bytes).
MAX_QR_BYTES = 1024
#: Characters of a template name.
MAX_NAME_CHARS = 64
#: A template's version number (a database integer).
MAX_VERSION = 2**31 - 1
#: JSON nesting: file → elements → element → columns → column is 5 levels.
MAX_JSON_DEPTH = 10
#: Size of a template file or JSON text, bytes.
MAX_TEMPLATE_BYTES = 2 * 1024 * 1024
#: An embedded image: encoded bytes and decoded pixels (a 76×130 mm label is 608×1040
#: dots at 203 dpi; a huge PNG is how a decompression bomb arrives).
MAX_IMAGE_BYTES = 256 * 1024
MAX_IMAGE_PIXELS = 2_000_000
