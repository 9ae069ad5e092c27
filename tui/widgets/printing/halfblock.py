"""A label's PNG drawn with half-block characters, so a preview shows in any terminal.

Each character cell holds two pixels stacked (▀ top, ▄ bottom, █ both, space neither),
which makes the pixels about square in a usual terminal font. The 1-bit raster the PNG
renderer made is scaled down to fit `columns` × `rows` with a box filter (so thin lines
and barcode bars darken their cell rather than vanish), then thresholded. Black on
white whatever the theme, like the paper it stands for. No new dependency: Pillow is
already the renderers'.
"""

from __future__ import annotations

import io

from PIL import Image
from rich.text import Text

#: A scaled pixel at least this dark (0 black … 255 white) is drawn black.
THRESHOLD = 170
PAPER = "black on white"
GLYPHS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def fitted(width: int, height: int, columns: int, rows: int) -> tuple[int, int]:
    """The pixel size (columns, 2 × rows at most) keeping the image's aspect."""
    scale = min(columns / width, 2 * rows / height)
    return max(1, round(width * scale)), max(2, round(height * scale))


def half_blocks(png: bytes, columns: int, rows: int) -> Text:
    """`png` as at most `columns` × `rows` cells of half blocks."""
    image = Image.open(io.BytesIO(png)).convert("L")
    size = fitted(image.width, image.height, columns, rows)
    small = image.resize(size, Image.Resampling.BOX)
    width, height = small.size
    pixels = small.load()
    assert pixels is not None
    text = Text(no_wrap=True)
    for top in range(0, height, 2):
        line = []
        for x in range(width):
            upper = pixels[x, top] < THRESHOLD  # type: ignore[operator]
            lower = top + 1 < height and pixels[x, top + 1] < THRESHOLD  # type: ignore[operator]
            line.append(GLYPHS[(upper, lower)])
        text.append("".join(line), style=PAPER)
        if top + 2 < height:
            text.append("\n")
    return text
