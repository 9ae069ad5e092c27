"""The print screen's pure parts: the half-block drawing of a PNG, and the rate and time
left of a run."""

from __future__ import annotations

import io

from PIL import Image

from tui.widgets.printing.halfblock import fitted, half_blocks
from tui.widgets.printing.progress import RateMeter, clock_text


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_half_blocks_stack_two_pixels_a_cell() -> None:
    image = Image.new("1", (4, 4), 1)  # white
    for x in range(4):
        image.putpixel((x, 0), 0)  # a black top row
    image.putpixel((0, 3), 0)  # one black pixel bottom left
    text = half_blocks(png(image), columns=4, rows=2)
    assert text.plain == "▀▀▀▀\n▄   "


def test_the_picture_keeps_its_aspect_inside_the_room() -> None:
    assert fitted(76, 130, columns=80, rows=20) == (23, 40)  # tall label: rows decide
    assert fitted(200, 50, columns=40, rows=20) == (40, 10)  # wide one: columns decide


def test_rate_and_time_left_count_only_this_run() -> None:
    now = [100.0]
    meter = RateMeter(clock=lambda: now[0])
    meter.update(settled=40, total=100, before=40)  # resumed at 40
    now[0] = 110.0
    meter.update(settled=60, total=100, before=40)
    assert meter.rate == 2.0 and meter.seconds_left == 20.0
    assert (clock_text(20.0), clock_text(3725), clock_text(None)) == ("0:20", "1:02:05", "–")
