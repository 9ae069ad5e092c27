"""Carriers as Pinduoduo lists them, their tracking-number shapes and print templates.

Ids and codes follow a captured `pdd.logistics.companies.get` answer (2020) where it has
them; 极兔 appears there only as `JTKD` (id 384, unavailable), while current waybill
templates use `JTSD` — so JTSD/384 is our inference. Tracking-number patterns are the
carriers' public formats, simplified to one pattern each.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Carrier:
    id: int
    code: str
    name: str
    available: int
    # (prefix, digits): numbers are prefix + that many random digits.
    number_shape: tuple[str, int] | None = None

    def make_number(self, rng: random.Random) -> str:
        if self.number_shape is None:
            raise ValueError(f"no tracking-number shape for {self.code}")
        prefix, digits = self.number_shape
        return f"{prefix}{rng.randrange(10**digits):0{digits}d}"


LOGISTICS_COMPANIES: tuple[Carrier, ...] = (
    Carrier(1, "STO", "申通快递", 1, ("773", 12)),
    Carrier(2, "SHHT", "上海汇通", 0),
    Carrier(3, "HT", "百世快递", 1, ("55", 13)),
    Carrier(44, "SF", "顺丰快递", 1, ("SF", 13)),
    Carrier(85, "YTO", "圆通快递", 1, ("YT", 13)),
    Carrier(86, "", "内部员工自提", 0),
    Carrier(115, "ZTO", "中通快递", 1, ("78", 12)),
    Carrier(116, "QF", "全峰快递", 0),
    Carrier(117, "YS", "优速快递", 1, ("UC", 13)),
    Carrier(118, "EMS", "邮政EMS", 1, ("11", 11)),
    Carrier(119, "TT", "天天快递", 1, ("66", 10)),
    Carrier(120, "JD", "京东配送", 1, ("JDVA", 11)),
    Carrier(121, "YUNDA", "韵达快递", 1, ("43", 11)),
    Carrier(122, "KJ", "快捷快递", 0),
    Carrier(124, "GTO", "国通快递", 1, ("32", 10)),
    Carrier(129, "ZJS", "宅急送快递", 1, ("A", 10)),
    Carrier(131, "DB", "德邦快递", 1, ("DPK", 12)),
    Carrier(132, "YZXB", "邮政快递包裹", 1, ("98", 11)),
    Carrier(180, "SELF", "其他", 1),
    Carrier(183, "KYE", "跨越速运", 1, ("KY", 12)),
    Carrier(208, "ANNENG", "安能快递", 1, ("30", 12)),
    Carrier(230, "DEBANGWULIU", "德邦物流", 1, ("DPL", 12)),
    Carrier(384, "JTSD", "极兔速递", 1, ("JT", 13)),
)

CARRIERS_BY_ID = {c.id: c for c in LOGISTICS_COMPANIES}
CARRIERS_BY_CODE = {c.code: c for c in LOGISTICS_COMPANIES if c.code}

#: Full-match patterns of the numbers the sandbox issues, by carrier code.
TRACKING_PATTERNS: dict[str, re.Pattern[str]] = {
    c.code: re.compile(re.escape(c.number_shape[0]) + rf"\d{{{c.number_shape[1]}}}")
    for c in LOGISTICS_COMPANIES
    if c.number_shape is not None
}

# Carriers the seeded orders were shipped with (weights follow market share, roughly).
SHIPPING_CARRIERS = ("ZTO", "YTO", "YUNDA", "JTSD", "STO", "EMS", "SF", "JD")
SHIPPING_WEIGHTS = (26, 20, 17, 15, 12, 4, 4, 2)

# E-waybill: the carriers a seeded shop subscribes to, and the standard templates per carrier.
WAYBILL_CARRIERS = ("YTO", "ZTO", "YUNDA", "JTSD", "STO", "SF")


@dataclass(frozen=True)
class StandardTemplate:
    id: int
    name: str
    url: str
    waybill_type: int


def standard_templates(code: str) -> tuple[StandardTemplate, ...]:
    """A 76×130 one-piece template and a 100×180 standard template per carrier."""
    carrier = CARRIERS_BY_CODE[code]
    base, url = 100_000 + 10 * carrier.id, f"https://file-link.pinduoduo.com/{code.lower()}"
    return (
        StandardTemplate(base + 1, f"{carrier.name}一联单", f"{url}_one", 1),
        StandardTemplate(base + 2, f"{carrier.name}标准模板", f"{url}_std", 2),
    )
