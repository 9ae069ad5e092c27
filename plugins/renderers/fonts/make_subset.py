"""Rebuild `core/templates/fonts/wqy-microhei-subset.ttf`, the CJK font labels and charts use.

Run by hand (needs fontTools, a dev dependency, and Debian's `fonts-wqy-microhei`):

    python -m plugins.renderers.fonts.make_subset [/usr/share/fonts/truetype/wqy/wqy-microhei.ttc]

Why a subset: the full WenQuanYi Micro Hei collection is 5 MB; labels need printable ASCII,
Latin-1, the 7,540 characters of GB2312 (6,763 hanzi + symbols, what Chinese addresses and product
titles use), full-width forms, and a short list of name and place characters outside GB2312.
Hinting and OpenType layout are dropped: rasters are drawn at whole dots without hinting and
PDFs embed their own subset. The result is about 1.3 MB, deterministic for a given input.
Licence: Apache-2.0 (see LICENSE-wqy-microhei.txt next to the font, in core/templates/fonts).
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.templates.fonts import FONT_PATH

#: Name and place characters seen on Chinese waybills that GB2312 lacks.
EXTRA = (
    "堃喆玥昇赟祎犇旻珺琍镕甦嬿昉禕垚燚瑄瑀璟暐曌芃頔彧翀龑贇玹婳邨琇琤瑢璠瓅珅珣堉垟崟峣"
    "沄浛淏渼湉冮汭沇"
    "·•—–‘’“”…‰℃№™©®°×÷±￥€"
)
SOURCE = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
TARGET = FONT_PATH  # core/templates/fonts: core and the plugins share it


def characters() -> set[int]:
    """Code points to keep: ASCII, all of GB2312, full-width forms, CJK punctuation, EXTRA."""
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))  # ASCII, Latin-1 (¥ £ ° ×)
    chars |= set(range(0xFF01, 0xFF5F)) | set(range(0x3000, 0x3040))  # full-width, CJK punct.
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    chars.update(ord(c) for c in EXTRA)
    return chars


def build(source: str = SOURCE, target: Path = TARGET) -> int:
    """Write the subset of face 0 (Micro Hei, proportional) of `source`; return its size."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    font = TTCollection(source).fonts[0]
    wanted = characters()
    cmap = font.getBestCmap()
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for c in sorted(wanted) if c in cmap])
    subsetter.subset(font)
    font.recalcTimestamp = False  # keep the source's date: same input, same bytes
    font.save(str(target))
    return target.stat().st_size


if __name__ == "__main__":
    size = build(*sys.argv[1:2])
    print(f"wrote {TARGET} ({size:,} bytes)")
