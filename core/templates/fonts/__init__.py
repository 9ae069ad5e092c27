"""The CJK font orderhub ships (WenQuanYi Micro Hei, a subset; licence beside it).

One copy for everything that draws Chinese: the label renderers (plugins.renderers.fonts
measures and embeds it) and the report charts (core.reports.output). It lives in
`core.templates`, part of the plugin API, so core and plugins both reach it.
`plugins/renderers/fonts/make_subset.py` rebuilds it.
"""

from __future__ import annotations

from pathlib import Path

FONT_PATH = Path(__file__).with_name("wqy-microhei-subset.ttf")
LICENSE_PATH = Path(__file__).with_name("LICENSE-wqy-microhei.txt")
