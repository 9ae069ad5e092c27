"""The printer test page: a frame, rulers in millimetres along the top and left edges, a
centre cross, a Code 128 sample and the printer's settings (dpi, media, language, offsets).

Built as an ordinary template for the printer's media size and rendered through the
printer's own renderer with its offsets, so what comes out is exactly how labels will
land: if the ruler's 0 is not at the paper edge, the difference is the calibration
(`orderhub printers calibrate NAME --dx … --dy …`).
"""

from __future__ import annotations

from typing import Any

from core.contracts.renderer import TemplateSpec
from core.templates import parse_layout

TICK_MM = 5
LABEL_EVERY_MM = 10


def build_test_page(
    *,
    printer: str,
    width_mm: float,
    height_mm: float,
    dpi: int,
    language: str,
    offset_x_mm: float,
    offset_y_mm: float,
) -> TemplateSpec:
    """A checked template for one printer's test page (literal texts only, no data)."""
    elements: list[dict[str, Any]] = [
        {
            "type": "box",
            "x": 0.5,
            "y": 0.5,
            "width": width_mm - 1,
            "height": height_mm - 1,
            "thickness": 0.3,
        },
        {
            "type": "line",
            "x1": width_mm / 2,
            "y1": height_mm / 2 - 4,
            "x2": width_mm / 2,
            "y2": height_mm / 2 + 4,
            "thickness": 0.3,
        },
        {
            "type": "line",
            "x1": width_mm / 2 - 4,
            "y1": height_mm / 2,
            "x2": width_mm / 2 + 4,
            "y2": height_mm / 2,
            "thickness": 0.3,
        },
    ]
    elements += _ruler(width_mm, horizontal=True) + _ruler(height_mm, horizontal=False)
    column = max(width_mm - 14, 10)
    lines = [
        ("orderhub 测试页 / test page", 11, True),
        (printer, 9, True),
        (f"{width_mm:g}×{height_mm:g} mm · {dpi} dpi · {language}", 8, False),
        (f"offset x {offset_x_mm:+.1f} mm, y {offset_y_mm:+.1f} mm", 8, False),
        ("0 of each ruler should touch the paper edge", 6.5, False),
    ]
    top = 9.0
    for text, size, bold in lines:
        height = size * 0.5 + 1.2
        if top + height > height_mm - 1:
            break  # small media: as many lines as fit
        elements.append(
            {
                "type": "text",
                "x": 9,
                "y": top,
                "width": column,
                "height": height,
                "text": text,
                "font_size": size,
                "bold": bold,
                "max_lines": 1,
                "shrink": True,
            }
        )
        top += height + 0.6
    if height_mm - top > 16:
        elements.append(
            {
                "type": "barcode",
                "x": 9,
                "y": top + 1,
                "width": column,
                "height": 12,
                "text": "ORDERHUB-TEST",
                "text_size": 7,
            }
        )
    spec = TemplateSpec(
        name="printer-test-page",
        kind="label",
        width_mm=float(width_mm),
        height_mm=float(height_mm),
        elements=tuple(elements),
    )
    parse_layout(spec)  # a media size too small for the page is a clear error here
    return spec


def _ruler(length_mm: float, *, horizontal: bool) -> list[dict[str, Any]]:
    """Ticks every 5 mm (longer every 10 mm, numbered) from 0 along one edge."""
    out: list[dict[str, Any]] = []
    position = 0
    while position <= length_mm - 1:
        long = position % LABEL_EVERY_MM == 0
        size = 3.0 if long else 1.5
        at = max(position, 0.15)
        if horizontal:
            out.append({"type": "line", "x1": at, "y1": 0, "x2": at, "y2": size, "thickness": 0.2})
        else:
            out.append({"type": "line", "x1": 0, "y1": at, "x2": size, "y2": at, "thickness": 0.2})
        if long and 0 < position <= length_mm - 6:
            label = str(position)
            if horizontal:
                box = {"x": position - 3, "y": 3.2, "width": 6, "height": 2.6, "align": "center"}
            else:
                box = {"x": 3.2, "y": position - 1.3, "width": 5.5, "height": 2.6}
            out.append({"type": "text", **box, "text": label, "font_size": 5, "max_lines": 1})
        position += TICK_MM
    return out
