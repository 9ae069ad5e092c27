"""Province names as rules compare them: "浙江" and "浙江省" are the same province.

Shared by the carrier assignment rules (core.assignment.rules) and the warehouse routing
rules (core.stock.routing), which sit in different layers.
"""

from __future__ import annotations

_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def province_key(name: str) -> str:
    """浙江省 → 浙江, 广西壮族自治区 → 广西, 上海市 → 上海 (spacing ignored)."""
    text = "".join(name.split())
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text
