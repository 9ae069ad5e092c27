"""Tracking-number patterns by carrier code (the platform `wp_code` spelling).

From the community list in printing.md §5 (npm `courier-validation`, 2024), not from the
carriers' specifications; older sources disagree. So they serve to guess a carrier and to
warn, never to reject a number a carrier returned or an operator scanned. The Pinduoduo
waybill plugin uses the same table (J&T is `JTSD` there; Deppon `DB`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

COMMUNITY_PATTERNS: Mapping[str, str] = MappingProxyType(
    {
        "SF": r"SF[A-Z0-9]\d{12}",
        "YTO": r"YT\d{13}",
        "JTSD": r"JT\d{13}",
        "ZTO": r"7[3-68]\d{12}",
        "STO": r"(77|43)\d{12,15}",
        "YUNDA": r"[34]\d{14}|5\d{12}",
        "EMS": r"[981]\d{12}|P[A-Z]\d{11}",
        "JD": r"JD[A-Z0-9]{2}\d{11}",
        "DB": r"DPK\d{12}",
        "CAINIAO": r"621\d{12}",
    }
)
