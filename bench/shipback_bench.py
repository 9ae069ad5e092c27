"""Ship-back throughput: N confirmed packages drained to the sandbox by W workers.

    .venv/bin/python bench/shipback_bench.py                      # 10,000 packages, 2 workers, PostgreSQL
    .venv/bin/python bench/shipback_bench.py --workers 1          # one worker, for comparison
    .venv/bin/python bench/shipback_bench.py --backend sqlite --workers 1 --size 300   # smoke test

Setup (not timed): the sandbox gateway in a child process (its own interpreter and GIL)
gets enough new paid orders; a fresh database syncs them through the real client, packs
the first N that can ship (one package each) and gives each a typed YTO number (the
`manual` carrier mapped to the platform's logistics id).

Timed:

- `confirm_s`: `confirm_packages` for all N (packages shipped, N outbox rows);
- `drain_s`, `packages_per_s`: W child processes, each running `core.shipback.drain.drain`
  from the same start signal until nothing is due; wall time from the signal to the last
  one's end. Each row costs its share of a `pdd.order.status.get` (100 orders a call) and
  one `pdd.logistics.online.send`, over loopback HTTP.
- `ratio_to_limit`: packages/s over the published limit of `pdd.logistics.online.send`,
  5,000 calls/s for the whole app (pinduoduo.md §8) — above 1 the platform, not orderhub,
  would be the bottleneck.

The sandbox's per-order counts are checked afterwards: every shippable order applied once.
A plain 20,000,000-step loop calibrates the machine (compare figures across runs by it).
"""  # noqa: E501

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.bench_db import fresh_database  # noqa: E402
from bench.calibration import loop_seconds  # noqa: E402
from core import crypto  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.config import (  # noqa: E402
    AuthSettings,
    PluginSettings,
    Settings,
    ShipbackSettings,
    SyncSettings,
)
from core.startup import open_app  # noqa: E402
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxProcess  # noqa: E402

SEND_LIMIT_PER_S = 5000  # pdd.logistics.online.send, total, pinduoduo.md §8
REDIRECT = "http://127.0.0.1:8765/pdd/callback"
SHIPPABLE_SHARE = 0.7  # of the sandbox's new orders: paid, 成团, no after-sale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="packages (default 10,000)")
    parser.add_argument("--workers", type=int, default=2, help="drain processes (default 2)")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    parser.add_argument(
        "--child", nargs=3, metavar=("SETTINGS", "OWNER", "GO"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        return _child(*args.child)
    figures: dict[str, object] = {
        "size": args.size,
        "workers": args.workers,
        "backend": args.backend,
        "calibration_s": loop_seconds(),
    }
    work = Path(tempfile.mkdtemp(prefix="shipback-bench-"))
    url, cleanup = fresh_database(args.backend, work)
    try:
        config = SandboxConfig(orders=0, shops=1, history_days=1.0, rate_limits=False)
        with SandboxProcess(config, prerender=False) as sandbox:
            started = time.perf_counter()
            settings = _settings(work, url, sandbox)
            app, admin, ids = _prepare(settings, sandbox, args.size)
            figures["setup_s"] = round(time.perf_counter() - started, 1)
            figures.update(_confirm(app, admin, ids))
            app.close()
            sandbox_pid = sandbox._process.pid  # type: ignore[union-attr]
            sandbox_cpu0 = _process_cpu(sandbox_pid)
            figures.update(_drain(settings, work, args.workers))
            figures["sandbox_cpu_s"] = round(_process_cpu(sandbox_pid) - sandbox_cpu0, 2)
            counts = httpx.get(f"{sandbox.control_url}/shipments", timeout=60).json()["totals"]
            figures["sandbox_send_calls"] = counts
    finally:
        cleanup()
    drained = figures["done"]
    figures["packages_per_s"] = round(drained / figures["drain_s"], 1)
    figures["ratio_to_limit"] = round(figures["packages_per_s"] / SEND_LIMIT_PER_S, 3)
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    figures["cpus"] = os.cpu_count()
    figures["python"] = platform.python_version()
    _report(figures, args.json)
    exactly_once = counts.get("applied", 0) == figures["sent"] and figures["lost"] == 0
    return 0 if exactly_once and figures["open"] == 0 else 1


def _settings(work: Path, url: str, sandbox: SandboxProcess) -> Settings:
    return Settings(
        data_dir=work,
        database_url=url,
        secret_key=crypto.generate_key(),
        auth=AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1),
        plugins=PluginSettings(only=("orderhub",)),
        sync=replace(SyncSettings(), initial_days=1, read_processes=0),
        shipback=ShipbackSettings(batch_size=100),
        platforms={"pinduoduo": {**sandbox.client_settings(), "read_timeout": 60}},
        source="bench",
    )


def _prepare(settings: Settings, sandbox: SandboxProcess, size: int):  # type: ignore[no-untyped-def]
    """Orders on the platform, synced, packed and numbered: (app, admin, package ids)."""
    from core.accounts.users import create_org_with_admin
    from core.orders import packages
    from core.shops import binding
    from core.sync.scheduler import Control, sync_shop
    from core.waybills import allocation, carrier_accounts
    from tests.waybills.test_manual import SENDER

    control = sandbox.control_url
    wanted = int(size / SHIPPABLE_SHARE) + 200
    for start in range(0, wanted, 20_000):
        count = min(20_000, wanted - start)
        httpx.post(f"{control}/orders", json={"count": count}, timeout=300).raise_for_status()
    httpx.post(f"{control}/clock/advance", json={"seconds": 600}, timeout=60)
    app = open_app(settings)
    org, user = create_org_with_admin(app, "bench", "boss", "Correct-Horse-9")
    admin = Actor(org_id=org.id, user_id=user.id, label="boss")
    start_auth = binding.start_authorization(app, admin, "pinduoduo", REDIRECT)
    code = httpx.post(f"{control}/codes", json={}, timeout=30).json()["code"]
    shop = binding.complete_authorization(app, code, start_auth.state)
    report = sync_shop(app, Actor.system(org.id, label="bench"), shop.id, control=Control())
    if report.status != "ok":
        raise SystemExit(f"the setup sync failed: {report.error}")
    truth = httpx.get(f"{control}/orders", params={"summary": 1}, timeout=300).json()["orders"]
    numbers = [
        o["order_sn"]
        for o in truth
        if (o["order_status"], o["refund_status"], o["confirm_status"]) == (1, 1, 1)
    ][: size + size // 20 + 10]  # a few more: orders under risk review get no number
    if len(numbers) < size:
        raise SystemExit(f"only {len(numbers)} shippable orders on the sandbox")
    order_ids = list(packages.packages_for_orders(app, admin, numbers).values())
    account = carrier_accounts.create_account(
        app,
        admin,
        name="manual-YTO",
        carrier="manual",
        wp_code="YTO",
        sender=SENDER,
        platform="pinduoduo",
    )
    ids: list[int] = []
    for start in range(0, len(order_ids), 10_000):
        packed = packages.ensure_packages(app, admin, order_ids[start : start + 10_000])
        chunk = [p.id for p in packed.packages]
        typed = {pid: f"YT{9_000_000_000_000 + pid:013d}" for pid in chunk}
        report = allocation.allocate(app, admin, chunk, account.name, typed_numbers=typed)
        ids += [o.package_id for o in report.outcomes if o.outcome == "allocated"]
    if len(ids) < size:
        raise SystemExit(f"only {len(ids)} packages got a number")
    return app, admin, ids[:size]


def _confirm(app, admin, ids: list[int]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from core.shipback import confirm

    started = time.perf_counter()
    rows = 0
    for start in range(0, len(ids), confirm.MAX_PACKAGES):
        result = confirm.confirm_packages(
            app, admin, package_ids=ids[start : start + confirm.MAX_PACKAGES]
        )
        if result.refused:
            raise SystemExit(f"confirm refused packages: {list(result.refused.items())[:3]}")
        rows += result.outbox_rows
    elapsed = time.perf_counter() - started
    return {"confirm_s": round(elapsed, 2), "outbox_rows": rows}


def _drain(settings: Settings, work: Path, workers: int) -> dict[str, object]:
    """W child processes drain from one start signal; wall time to the last one's end."""
    blob = work / "settings.json"
    blob.write_text(
        json.dumps(
            {
                "data_dir": str(settings.data_dir),
                "database_url": settings.database_url,
                "secret_key": settings.secret_key,
                "platforms": dict(settings.platforms),
                "batch_size": settings.shipback.batch_size,
            }
        )
    )
    go = work / "go"
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--child", str(blob), f"bench-w{n}", str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(workers)
    ]
    time.sleep(3.0)  # let them import and open their app
    started = time.time()
    go.write_text("go")
    reports = []
    for child in children:
        out, _ = child.communicate(timeout=3600)
        if child.returncode != 0:
            raise SystemExit(f"a drain child failed: {out}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    ended = max(r["ended"] for r in reports)
    totals = {
        k: sum(r[k] for r in reports)
        for k in ("claimed", "sent", "already_shipped", "held", "needs_person", "retrying", "lost")
    }
    from sqlalchemy import func, select

    from core.models import ShipmentOutbox

    app = open_app(settings)
    with app.tx() as session:
        open_rows = session.scalar(
            select(func.count()).where(ShipmentOutbox.state.in_(("pending", "sending")))
        )
    app.close()
    return {
        "drain_s": round(ended - started, 2),
        "workers_cpu_s": [r["cpu_s"] for r in reports],
        "done": totals["sent"] + totals["already_shipped"],
        "open": open_rows,
        **totals,
    }


def _child(settings_path: str, owner: str, go: str) -> int:
    from core.shipback.drain import drain

    data = json.loads(Path(settings_path).read_text())
    settings = Settings(
        data_dir=Path(data["data_dir"]),
        database_url=data["database_url"],
        secret_key=data["secret_key"],
        plugins=PluginSettings(only=("orderhub",)),
        platforms=data["platforms"],
        shipback=ShipbackSettings(batch_size=data["batch_size"]),
        source="bench",
    )
    app = open_app(settings)
    while not Path(go).exists():
        time.sleep(0.01)
    cpu0 = time.process_time()
    report = drain(app, owner)
    result = {
        "ended": time.time(),
        "cpu_s": round(time.process_time() - cpu0, 2),
        "claimed": report.claimed,
        "sent": report.sent,
        "already_shipped": report.already_shipped,
        "held": report.held,
        "needs_person": report.needs_person,
        "retrying": report.retrying,
        "lost": report.lost,
    }
    app.close()
    print(json.dumps(result))
    return 0


def _process_cpu(pid: int) -> float:
    """CPU seconds of a running process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _report(figures: dict[str, object], as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    print(
        f"# ship-back: {figures['size']} packages, {figures['workers']} worker(s), "
        f"{figures['backend']}"
    )
    print(f"# calibration (20M-step Python loop): {figures['calibration_s']} s")
    print(f"# cpus {figures['cpus']}, load average {figures['load_average']}")
    print(f"setup (sync, pack, number; not timed): {figures['setup_s']} s")
    print(f"confirm: {figures['confirm_s']} s for {figures['outbox_rows']} outbox rows")
    print(
        f"drain: {figures['drain_s']} s, {figures['packages_per_s']} packages/s — "
        f"{figures['ratio_to_limit']} × the online.send limit ({SEND_LIMIT_PER_S}/s)"
    )
    print(
        f"  outcomes: {figures['sent']} sent, {figures['already_shipped']} already shipped, "
        f"{figures['needs_person']} need a person, {figures['held']} held, "
        f"{figures['retrying']} to retry, {figures['open']} open"
    )
    print(
        f"  CPU: workers {figures['workers_cpu_s']} s, sandbox {figures['sandbox_cpu_s']} s; "
        f"sandbox online.send counts {figures['sandbox_send_calls']}"
    )


if __name__ == "__main__":
    sys.exit(main())
