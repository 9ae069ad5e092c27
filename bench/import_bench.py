"""Import a Pinduoduo-style order export of N rows (default 100,000) into a fresh database.

    .venv/bin/python bench/import_bench.py [--size N] [--encoding utf-8-sig|gbk]
                                           [--backend sqlite|postgres] [--masked 0.7]
                                           [--parallel auto|on|off] [--profile N]

Target (issue 3): 100,000 rows in ≤ 10 s. Prints elapsed seconds, rows/s, CPU seconds (this
process's and the reader process's, when the import reads the file in one) and peak memory
(each process's peak RSS, and how much this one grew during the import), plus a re-import
of the same file, which must change nothing. The dry run always reads in this process: it
is the parser's share. The file is generated first (seeded, streamed to disk) with the
export's real header, tab-padded numbers, masked and clear receivers and a mix of
statuses; generation is not timed. `--profile N` prints the dry run's N hottest functions.

PostgreSQL: set ORDERHUB_TEST_PG_URL (a server where we may create a database).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import platform
import pstats
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_db import fresh_database  # noqa: E402 - a sibling module: bench/ is the script's dir
from calibration import line as calibration_line  # noqa: E402 - a sibling module too

HEADER = (  # noqa: SIM905 - the export's header line, as it reads
    "商品,订单号,订单状态,商品总价(元),店铺优惠折扣(元),平台优惠折扣(元),邮费(元),上门安装费(元),"
    "送货入户费(元),送货入户并安装费(元),用户实付金额(元),商家实收金额(元),商品数量(件),身份证姓名,"
    "身份证号码,收货人,手机,是否审核中,省,市,区,街道,支付时间,拼单成功时间,订单确认时间,承诺发货时间,"
    "发货时间,确认收货时间,商品id,商品规格,用户购买手机号,样式ID,商家编码-SKU维度,商家编码-商品维度,"
    "快递单号,快递公司,海淘清关订单号,支付ID,支付方式,是否抽奖或0元试用,是否顺丰加价,商家备注,售后状态,"
    "买家留言,关联货品编码,货品名称,仓库名称"
).split(",")
GOODS = [
    ("加厚保温杯 500ml 316不锈钢", 3990, "墨绿色,500ml", "CUP-500-GN"),
    ("纯棉短袖T恤 男款", 4900, "白色,XL", "TS-WH-XL"),
    ("手机支架 折叠款", 1590, "", "HOLD-F1"),
    ("儿童保温水壶 带吸管", 5990, "粉色,600ml", "KID-600-PK"),
]
PLACES = [
    ("浙江省", "杭州市", "西湖区", "文三路90号"),
    ("上海市", "上海市", "浦东新区", "张江路88弄"),
    ("广东省", "深圳市", "南山区", "科技园南区"),
    ("四川省", "成都市", "武侯区", "桐梓林北路"),
    ("北京市", "北京市", "朝阳区", "望京街道"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
T = "\t"


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def generate(path: Path, size: int, encoding: str, masked: float, seed: int = 3) -> None:
    """Stream `size` export rows to `path` (never the whole file in memory)."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, 8, 0, 0)
    with path.open("w", encoding=encoding, newline="") as handle:
        out = csv.writer(handle, lineterminator="\r\n")
        out.writerow(HEADER)
        for i in range(size):
            title, price, spec, outer = GOODS[i % len(GOODS)]
            qty = 1 + (i % 3 == 0)
            goods = price * qty
            shop_d, plat_d, post = (500 if i % 5 == 0 else 0), (100 if i % 7 == 0 else 0), 0
            paid = goods - shop_d - plat_d + post
            prov, city, dist, street = PLACES[i % len(PLACES)]
            name = rng.choice(SURNAMES) + "小明"
            phone = f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}"
            if rng.random() < masked:
                name, phone, street = (
                    name[0] + "**",
                    phone[:3] + "****" + phone[-4:],
                    street[:3] + "****",
                )
            paid_at = start + timedelta(seconds=i * 7)
            kind = i % 10
            status = ["待发货"] * 6 + ["已发货，待签收"] * 2 + ["已签收", "未发货，退款成功"]
            shipped = paid_at + timedelta(hours=5) if kind in (6, 7, 8) else None
            received = paid_at + timedelta(days=3) if kind == 8 else None
            row = dict.fromkeys(HEADER, "")
            row.update(
                {
                    "商品": title,
                    "订单号": f"{T}261101-{500000000000000 + i}",
                    "订单状态": status[kind],
                    "商品总价(元)": T + yuan(goods),
                    "店铺优惠折扣(元)": T + yuan(shop_d),
                    "平台优惠折扣(元)": T + yuan(plat_d),
                    "邮费(元)": T + yuan(post),
                    "用户实付金额(元)": T + yuan(paid),
                    "商家实收金额(元)": T + yuan(paid),
                    "商品数量(件)": f"{T}{qty}",
                    "收货人": name,
                    "手机": phone,
                    "是否审核中": "否",
                    "省": prov,
                    "市": city,
                    "区": dist,
                    "街道": street,
                    "支付时间": f"{paid_at:%Y-%m-%d %H:%M:%S}",
                    "拼单成功时间": f"{paid_at + timedelta(seconds=5):%Y-%m-%d %H:%M:%S}",
                    "订单确认时间": f"{paid_at + timedelta(seconds=5):%Y-%m-%d %H:%M:%S}",
                    "承诺发货时间": f"{paid_at + timedelta(days=2):%Y-%m-%d %H:%M:%S}",
                    "发货时间": f"{shipped:%Y-%m-%d %H:%M:%S}" if shipped else "",
                    "确认收货时间": f"{received:%Y-%m-%d %H:%M:%S}" if received else "",
                    "商品id": f"{T}3588123{i % 4}",
                    "商品规格": spec,
                    "样式ID": f"{T}12345670{i % 4}",
                    "商家编码-SKU维度": outer,
                    "支付方式": "微信",
                    "是否抽奖或0元试用": "否",
                    "是否顺丰加价": "否",
                    "售后状态": "退款成功" if kind == 9 else "无售后或售后取消",
                    "买家留言": "请尽快发货" if i % 11 == 0 else "",
                    "仓库名称": "杭州仓",
                }
            )
            out.writerow([row[h] for h in HEADER])


def to_workbook(export: Path, encoding: str) -> Path:
    """The CSV's rows as an .xlsx sheet of text cells, as a merchant who opened the export
    in a spreadsheet and saved it would send it (streamed: openpyxl's write-only mode)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    with export.open(encoding=encoding, newline="") as source:
        for record in csv.reader(source):
            sheet.append(record)
    target = export.with_suffix(".xlsx")
    book.save(target)
    return target


def rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far of this process, or of the largest child process
    waited for (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def children_cpu() -> float:
    """CPU seconds of the child processes waited for so far (the import's reader)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--encoding", choices=("utf-8-sig", "gbk"), default="utf-8-sig")
    parser.add_argument(
        "--format",
        choices=("csv", "xlsx"),
        default="csv",
        help="xlsx: the same rows saved as a workbook (the conversion is not timed)",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--masked", type=float, default=0.7, help="share of masked receivers")
    parser.add_argument(
        "--parallel",
        choices=("auto", "on", "off"),
        default="auto",
        help="read the file in a reader process: by size, always, never",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="cProfile the dry run and print its N hottest functions",
    )
    args = parser.parse_args(argv)
    parallel = {"auto": None, "on": True, "off": False}[args.parallel]

    from core import crypto
    from core.actor import Actor
    from core.config import PluginSettings, Settings
    from core.importing import service
    from core.models import Org, Shop
    from core.startup import open_app

    with tempfile.TemporaryDirectory(prefix="orderhub-import-bench-") as tmp:
        workdir = Path(tmp)
        export = workdir / "pdd_orders.csv"
        began = time.perf_counter()
        generate(export, args.size, args.encoding, args.masked)
        if args.format == "xlsx":
            export = to_workbook(export, args.encoding)
        size_mib = export.stat().st_size / 2**20
        print(
            f"generated {args.size} rows, {size_mib:.1f} MiB ({args.format}, "
            f"{args.encoding}) in {time.perf_counter() - began:.1f} s"
        )
        url, cleanup = fresh_database(args.backend, workdir)
        settings = Settings(
            data_dir=workdir,
            database_url=url,
            secret_key=crypto.generate_key(),
            plugins=PluginSettings(only=("orderhub",)),
            source="bench",
        )
        app = open_app(settings, bulk_writes=True)
        try:
            with app.tx() as session:
                org = Org(name="bench")
                session.add(org)
                session.flush()
                shop = Shop(org_id=org.id, platform="pinduoduo", platform_shop_id="1", name="店")
                session.add(shop)
                session.flush()
                org_id, shop_id = org.id, shop.id
            actor = Actor.system(org_id, label="bench")
            profile = cProfile.Profile() if args.profile else None
            began, dry_cpu = time.perf_counter(), time.process_time()
            if profile:
                profile.enable()
            dry = service.import_orders(app, actor, shop_id, export, dry_run=True, parallel=False)
            if profile:
                profile.disable()
            checked, dry_cpu = time.perf_counter() - began, time.process_time() - dry_cpu
            baseline = rss_mib()
            began, cpu, reader_cpu = time.perf_counter(), time.process_time(), children_cpu()
            report = service.import_orders(app, actor, shop_id, export, parallel=parallel)
            elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
            reader_cpu = children_cpu() - reader_cpu
            peak, reader_peak = rss_mib(), rss_mib(resource.RUSAGE_CHILDREN)
            began, again_cpu = time.perf_counter(), time.process_time()
            again_reader = children_cpu()
            again = service.import_orders(app, actor, shop_id, export, parallel=parallel)
            second, again_cpu = time.perf_counter() - began, time.process_time() - again_cpu
            again_reader = children_cpu() - again_reader
        finally:
            app.close()
            cleanup()
    print(f"import:   {report.summary()}")
    print(f"re-import: {again.summary()}")
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, backend {args.backend}"
    )
    print(calibration_line())
    pace = "met" if elapsed <= 10 * args.size / 100_000 else "MISSED"
    print(f"elapsed_s {elapsed:.2f}  (target: 100000 rows in <= 10 s; pace {pace})")
    print(f"rows_per_s {args.size / elapsed:,.0f}")
    print(
        f"cpu_s {cpu + reader_cpu:.2f}  (this process {cpu:.2f} + reader process "
        f"{reader_cpu:.2f}; CPU time is the figure to trust on a busy machine: load "
        f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    reader = f", reader process {reader_peak:.0f} MiB" if reader_cpu else ""
    print(f"peak_rss_mib {peak:.0f}  (grew {peak - baseline:.0f} MiB during the import{reader})")
    print(
        f"reimport_s {second:.2f}  cpu_s {again_cpu + again_reader:.2f} (this process "
        f"{again_cpu:.2f} + reader process {again_reader:.2f})  rows_per_s "
        f"{args.size / second:,.0f}"
    )
    print(
        f"dry_run_s {checked:.2f}  cpu_s {dry_cpu:.2f}  (read + validate every row in this "
        "process, store nothing: the parser's share)"
    )
    print(
        f"store_cpu_s {cpu + reader_cpu - dry_cpu:.2f}  (import CPU minus dry-run CPU: "
        "storing, and handing batches between the processes)"
    )
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)
    ok = report.imported and report.new == args.size and again.unchanged == args.size
    ok = ok and dry.new == args.size and not dry.imported
    if not ok:
        print("FAILED: expected every row new, then unchanged", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
