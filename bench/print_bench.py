"""A print batch end to end: a job of N labels sent by the real runner through the `network`
driver to a loopback raw-9100 printer.

    .venv/bin/python bench/print_bench.py                      # 10,000 labels, SQLite
    .venv/bin/python bench/print_bench.py --backend postgres   # needs ORDERHUB_TEST_PG_URL
    .venv/bin/python bench/print_bench.py --labels 200 --memory-sizes 100,200   # the smoke test
    .venv/bin/python bench/print_bench.py --live-check --status-latency-ms 100   # 退款拦截 on

Setup (not timed): a fresh database with N orders of an imported shop (clear receivers,
Chinese names and addresses, 1–3 goods lines), one package each, a waybill each (the
`manual` carrier with numbers "scanned" in), and the printers. Each measured run is a
fresh copy of that database and two child processes: one creates the print job
(`create_job`), the other runs it (`run_job`) — so the second one's peak memory is the
runner's alone. The listener is in this process; children only render and send.

Figures, each with its ratio to one printer's paper speed (57.3 labels/min: a 76×130 mm
label plus gap at 127 mm/s, printing.md §7), i.e. how many printers one process keeps busy:

- `first_label_s`: from `run_job` being called to the printer's first byte (target ≤ 0.5 s);
- `tspl labels/s`: render + send of TSPL raster labels with Chinese text (target ≥ 200);
- `pdf labels/s`: the same as PDF, 50 labels per document (target ≥ 1,000);
- `peak_rss`: the runner's peak resident memory for the largest and smallest size (target:
  within 10 %), and its growth over the process's memory before the run.

With `--live-check` the orders belong to a shop bound to the Pinduoduo sandbox (a child
process), so every run asks `pdd.order.status.get` for its orders, 100 per call, a step
ahead of the printers (`core.printing.interception`) — as a real batch does.
`--status-latency-ms` makes each of those answers that much slower (the sandbox's `slow`
fault), standing in for the real gateway's round trip.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.calibration import loop_seconds  # noqa: E402

PAPER_LABELS_PER_SECOND = 57.3 / 60
TARGETS = {"first_label_s": 0.5, "tspl": 200.0, "pdf": 1000.0, "memory": 0.10}
NAMES = ("张晓明", "李娜", "王建国", "赵丽颖", "陈一鸣", "刘洋", "欧阳娜娜", "司马相如")
STREETS = ("科技南十二路 2 号", "文一西路 969 号", "人民路 88 号 5 栋 1203", "解放大道 1277 号")
REGIONS = (
    ("广东省", "深圳市", "南山区"),
    ("浙江省", "杭州市", "余杭区"),
    ("湖北省", "武汉市", "江汉区"),
)
GOODS = (("加厚保温杯 500ml", "墨绿色"), ("纯棉短袖T恤", "白色/XL"), ("儿童雨靴", "黄色 28码"))


class CountingPrinter:
    """A raw-9100 printer on 127.0.0.1 that counts bytes and notes the first one's time."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.total = 0
        self.first_byte_at: float | None = None
        threading.Thread(target=self._serve, daemon=True).start()

    def reset(self) -> None:
        self.total, self.first_byte_at = 0, None

    def _serve(self) -> None:
        while True:
            conn, _ = self.server.accept()
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        with conn:
            while chunk := conn.recv(1 << 20):
                if self.first_byte_at is None:
                    self.first_byte_at = time.time()
                self.total += len(chunk)


# ---------------------------------------------------------------- children


def _app(url: str, data: Path):  # type: ignore[no-untyped-def]
    from core.config import PluginSettings, Settings
    from core.startup import open_app

    key = (data / "bench.key").read_text().strip()
    platform_file = data / "platform.json"
    platforms = json.loads(platform_file.read_text()) if platform_file.exists() else {}
    settings = Settings(
        data_dir=data,
        database_url=url,
        secret_key=key,
        plugins=PluginSettings(only=("orderhub",)),
        platforms=platforms,
    )
    return open_app(settings)


def _shop(app, actor, data: Path) -> int:  # type: ignore[no-untyped-def]
    """The bench's shop: bound to the sandbox through its OAuth consent (--live-check),
    else a shop of imported orders (nobody to ask before printing)."""
    from core.models import Shop

    control = data / "control.txt"
    if control.exists():
        import httpx

        from core.shops import binding

        started = binding.start_authorization(
            app, actor, "pinduoduo", "http://127.0.0.1:8765/pdd/callback"
        )
        code = httpx.post(f"{control.read_text()}/codes", json={}, timeout=30).json()["code"]
        return binding.complete_authorization(app, code, started.state).id
    with app.tx() as session:
        shop = Shop(org_id=actor.org_id, platform="import", platform_shop_id="bench", name="线下店")
        session.add(shop)
        session.flush()
        return shop.id


def seed(url: str, data: Path, count: int, port: int) -> None:
    """Orders, packages, waybills and two printers (tspl, pdf) for `count` labels."""
    from core import migrate
    from core.accounts import users
    from core.contracts import Contact, OrderStatus, PlatformOrder, PlatformOrderLine, RefundStatus
    from core.db import create_db_engine
    from core.orders import packages
    from core.orders.store import upsert_orders
    from core.printing.printers import add_printer
    from core.waybills import allocation, carrier_accounts

    engine = create_db_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    app = _app(url, data)
    _, admin = users.create_org_with_admin(app, "bench", "boss", "Correct-Horse-9")
    from core.actor import Actor

    actor = Actor(org_id=admin.org_id, user_id=admin.id, label="boss")
    shop_id = _shop(app, actor, data)
    paid = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    orders = []
    for i in range(count):
        province, city, district = REGIONS[i % len(REGIONS)]
        lines = tuple(
            PlatformOrderLine(
                sku_id=f"sku-{(i + n) % 40}",
                title=GOODS[(i + n) % 3][0],
                quantity=1 + n,
                unit_price_fen=1990 + 100 * n,
                outer_id=f"SKU-{(i + n) % 40:03d}",
                spec=GOODS[(i + n) % 3][1],
            )
            for n in range(1 + i % 3)
        )
        receiver = Contact(
            name=NAMES[i % len(NAMES)],
            phone=f"138{i:08d}",
            province=province,
            city=city,
            district=district,
            address=STREETS[i % len(STREETS)],
        )
        goods = sum(line.unit_price_fen * line.quantity for line in lines)
        orders.append(
            PlatformOrder(
                order_number=f"261120-{i:012d}",
                status=OrderStatus.AWAITING_SHIPMENT,
                refund_status=RefundStatus.NONE,
                created_at=paid,
                updated_at=paid,
                paid_at=paid + timedelta(seconds=i),
                receiver=receiver,
                lines=lines,
                goods_fen=goods,
                paid_fen=goods,
                buyer_memo="尽快发货" if i % 7 == 0 else "",
            )
        )
    with app.tx() as session:
        upsert_orders(
            session,
            app.keyring,
            org_id=actor.org_id,
            shop_id=shop_id,
            orders=orders,
            source="import",
        )
    from sqlalchemy import select

    from core.models import Order

    with app.tx() as session:
        order_ids = list(session.scalars(select(Order.id).order_by(Order.id)))
    packed = packages.ensure_packages(app, actor, order_ids)
    ids = [packed.package_of_order[o] for o in order_ids]
    sender = Contact(
        name="王仓管",
        phone="13800138000",
        province="浙江省",
        city="杭州市",
        district="余杭区",
        address="仓前街道 1 号",
    )
    account = carrier_accounts.create_account(
        app, actor, name="yto", carrier="manual", wp_code="YTO", sender=sender
    )
    for start in range(0, len(ids), 1000):
        part = ids[start : start + 1000]
        typed = {p: f"YT{7500000000000 + p}" for p in part}
        report = allocation.allocate(app, actor, part, account.name, typed_numbers=typed)
        assert len(report.allocated) == len(part), report.failed[:3]
    settings = {"host": "127.0.0.1", "port": port, "write_timeout": 30}
    add_printer(app, actor, name="tspl", driver="network", settings=settings, language="tspl")
    add_printer(
        app,
        actor,
        name="pdf",
        driver="network",
        settings=settings,
        language="pdf",
        media_mm=(76, 130),
    )
    app.close()


def prepare(url: str, data: Path, language: str) -> None:
    """Create the job (its own process: its memory is not the runner's)."""
    from sqlalchemy import select

    from core.actor import Actor
    from core.models import Order, Org
    from core.printing.jobs import create_job

    app = _app(url, data)
    with app.tx() as session:
        org_id = session.scalar(select(Org.id))
        order_ids = list(session.scalars(select(Order.id).order_by(Order.id)))
    actor = Actor.system(org_id, label="bench")
    started = time.perf_counter()
    job = create_job(app, actor, order_ids, [language], template="label-76x130")
    print(json.dumps({"job_id": job.job_id, "create_s": time.perf_counter() - started}))
    app.close()


def run(url: str, data: Path, job_id: int, processes: int | None) -> None:
    """Run the job; report wall and CPU time, the RSS before and the peak."""
    from sqlalchemy import select

    from core.actor import Actor
    from core.models import Org
    from core.printing.runner import run_job

    app = _app(url, data)
    with app.tx() as session:
        actor = Actor.system(session.scalar(select(Org.id)), label="bench")
    before = _rss_now()
    cpu = time.process_time()
    started_wall = time.time()
    started = time.perf_counter()
    result = run_job(app, actor, job_id, render_processes=processes)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out = {
        "status": result.status,
        "done": result.done,
        "seconds": seconds,
        "cpu_s": time.process_time() - cpu,
        "started": started_wall,
        "rss_before": before,
        "peak_rss": peak,
    }
    print(json.dumps(out))
    app.close()


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- the harness


class Databases:
    """A seeded database per size, copied for every run (SQLite file / PG template)."""

    def __init__(self, backend: str, work: Path) -> None:
        self.backend, self.work = backend, work
        self.pg = os.environ.get("ORDERHUB_TEST_PG_URL", "")
        if backend == "postgres" and not self.pg:
            raise SystemExit("--backend postgres needs ORDERHUB_TEST_PG_URL")
        self.created: list[str] = []

    def url(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.work / name}.db"
        base = self.pg.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def create_empty(self, name: str) -> str:
        if self.backend == "postgres":
            self._admin(f'CREATE DATABASE "{name}"')
            self.created.append(name)
        return self.url(name)

    def copy(self, source: str, name: str) -> str:
        if self.backend == "sqlite":
            shutil.copyfile(self.work / f"{source}.db", self.work / f"{name}.db")
        else:
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
            self.created.append(name)
        return self.url(name)

    def drop_all(self) -> None:
        for name in reversed(self.created):
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        from sqlalchemy import create_engine, text

        from core.db import normalise_url

        engine = create_engine(normalise_url(self.pg), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()


def child(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, timeout=3600
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def measure(
    dbs: Databases,
    seeded: str,
    language: str,
    data: Path,
    printer: CountingPrinter,
    processes: str,
    repeat: int = 1,
) -> dict:
    """The best of `repeat` runs (each on a fresh copy of the seeded database)."""
    runs = [_measure(dbs, seeded, language, data, printer, processes) for _ in range(repeat)]
    return min(runs, key=lambda r: r["seconds"])


def _measure(
    dbs: Databases, seeded: str, language: str, data: Path, printer: CountingPrinter, processes: str
) -> dict:
    name = f"run_{uuid.uuid4().hex[:8]}"
    url = dbs.copy(seeded, name)
    job = child("prepare", url, str(data), language)
    printer.reset()
    result = child("run", url, str(data), str(job["job_id"]), processes)
    if result.get("status") != "done":
        raise SystemExit(f"the {language} job ended {result.get('status')}: {result}")
    first = (printer.first_byte_at or 0) - result["started"]
    return {**result, "first_label_s": first, "create_s": job["create_s"], "bytes": printer.total}


def _start_sandbox(data: Path, latency_ms: int):  # type: ignore[no-untyped-def]
    """The sandbox gateway in a child process; where children find it."""
    import httpx

    from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxProcess

    sandbox = SandboxProcess(
        SandboxConfig(orders=0, shops=1, history_days=1.0, rate_limits=False), prerender=False
    )
    sandbox.start()
    (data / "platform.json").write_text(json.dumps({"pinduoduo": sandbox.client_settings()}))
    (data / "control.txt").write_text(sandbox.control_url)
    # `slow` answers after a quarter of `delay` (0: at once), and counts each call
    spec = f"slow=1@pdd.order.status.get,delay={4 * latency_ms / 1000}"
    httpx.put(f"{sandbox.control_url}/faults", json={"spec": spec}, timeout=30).raise_for_status()
    return sandbox


def _status_calls(sandbox) -> int:  # type: ignore[no-untyped-def]
    """`pdd.order.status.get` calls the sandbox answered (its request log by API)."""
    import httpx

    summary = httpx.get(f"{sandbox.control_url}/faults", timeout=30).json()
    return sum(
        n
        for api, kinds in summary["by_api"].items()
        if api == "pdd.order.status.get"
        for n in kinds.values()
    )


def ratio(labels_per_s: float) -> str:
    return f"= {labels_per_s / PAPER_LABELS_PER_SECOND:,.0f} printers' paper speed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=int, default=10_000)
    parser.add_argument("--memory-sizes", default="1000,10000", help="two sizes, small,large")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--languages", default="tspl,pdf")
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs per figure")
    parser.add_argument(
        "--render-processes", default="auto", help="render pool size (auto: one per spare core)"
    )
    parser.add_argument(
        "--live-check",
        action="store_true",
        help="orders of a shop bound to the sandbox: the live refund check runs",
    )
    parser.add_argument(
        "--status-latency-ms",
        type=int,
        default=0,
        help="with --live-check: each status answer this much slower",
    )
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, url, data, *rest = args.child
        {
            "seed": lambda: seed(url, Path(data), int(rest[0]), int(rest[1])),
            "prepare": lambda: prepare(url, Path(data), rest[0]),
            "run": lambda: run(
                url, Path(data), int(rest[0]), None if rest[1] == "auto" else int(rest[1])
            ),
        }[kind]()
        return 0
    small, large = (int(x) for x in args.memory_sizes.split(","))
    sizes = sorted({args.labels, small, large})
    languages = [x.strip() for x in args.languages.split(",") if x.strip()]
    printer = CountingPrinter()
    work = Path(tempfile.mkdtemp(prefix="print-bench-"))
    data = work / "data"
    data.mkdir()
    from core.crypto import generate_key

    (data / "bench.key").write_text(generate_key())
    dbs = Databases(args.backend, work)
    sandbox = _start_sandbox(data, args.status_latency_ms) if args.live_check else None
    say = (lambda text: print(text, file=sys.stderr)) if args.json else print
    figures: dict[str, object] = {
        "labels": args.labels,
        "backend": args.backend,
        "cpus": os.cpu_count(),
        "render_processes": args.render_processes,
        "calibration_s": loop_seconds(),
        "live_check": args.live_check,
        "status_latency_ms": args.status_latency_ms if args.live_check else None,
    }
    say(
        f"# print bench: {args.labels:,} labels, {args.backend}; {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"paper speed 57.3 labels/min per printer; render processes: {args.render_processes}; "
        f"a plain 20,000,000-step loop: {figures['calibration_s']:.2f} s"
        + (
            f"; live refund check against the sandbox, +{args.status_latency_ms} ms per call"
            if args.live_check
            else ""
        )
    )
    failures = []
    try:
        seeded = {}
        for size in sizes:
            name = f"seed_{size}_{uuid.uuid4().hex[:6]}"
            started = time.perf_counter()
            child("seed", dbs.create_empty(name), str(data), str(size), str(printer.port))
            seeded[size] = name
            say(f"setup {size:>6,} labels: {time.perf_counter() - started:6.1f} s (not timed)")
        runs = {}
        for language in languages:
            r = measure(
                dbs,
                seeded[args.labels],
                language,
                data,
                printer,
                args.render_processes,
                args.repeat,
            )
            runs[(language, args.labels)] = r
            rate = r["done"] / r["seconds"]
            target = TARGETS.get(language)
            ok = target is None or rate >= target
            failures += [] if ok else [f"{language} {rate:.0f} labels/s < {target:g}"]
            figures[f"{language}_labels_per_s"] = round(rate, 1)
            figures[f"{language}_labels_per_cpu_s"] = round(r["done"] / r["cpu_s"], 1)
            figures[f"{language}_printers_kept_busy"] = round(rate / PAPER_LABELS_PER_SECOND)
            say(
                f"{language:5} {r['done']:>6,} labels  {rate:8.0f} labels/s "
                f"({r['done'] / r['cpu_s']:6.0f} per CPU-s)  {ratio(rate)}  "
                f"target ≥ {target:g}{'' if ok else '  MISSED'}  "
                f"[{r['bytes'] / r['done'] / 1024:.1f} KiB/label, job created in "
                f"{r['create_s']:.1f} s]"
            )
        main_run = runs[(languages[0], args.labels)]
        first = main_run["first_label_s"]
        failures += [] if first <= TARGETS["first_label_s"] else [f"first label {first:.3f} s"]
        figures["first_label_s"] = round(first, 3)
        say(f"first_label_s {first:8.3f} s  ({languages[0]}; target ≤ 0.5 s)")
        for size in (small, large):
            if (languages[0], size) not in runs:
                runs[(languages[0], size)] = measure(
                    dbs, seeded[size], languages[0], data, printer, args.render_processes
                )
        low, high = runs[(languages[0], small)], runs[(languages[0], large)]
        growth = high["peak_rss"] / low["peak_rss"] - 1
        failures += [] if growth <= TARGETS["memory"] else [f"memory +{growth:.1%}"]
        for size, r in ((small, low), (large, high)):
            figures[f"peak_rss_mib_{size}"] = round(r["peak_rss"] / 2**20, 1)
            say(
                f"peak_rss {size:>6,} labels {r['peak_rss'] / 2**20:7.1f} MiB "
                f"(+{(r['peak_rss'] - r['rss_before']) / 2**20:5.1f} MiB during the run)"
            )
        figures["peak_rss_ratio"] = round(1 + growth, 3)
        say(f"peak_rss ratio {large:,}/{small:,}: {1 + growth:.3f} (target ≤ 1.10)")
        if sandbox is not None:
            figures["status_calls"] = _status_calls(sandbox)
            say(f"status calls {figures['status_calls']:,} over every run (100 orders a call)")
    finally:
        if sandbox is not None:
            sandbox.stop()
        if args.backend == "postgres":
            dbs.drop_all()
        shutil.rmtree(work, ignore_errors=True)
    figures["targets_missed"] = failures
    if failures:
        say("targets missed: " + "; ".join(failures))
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
