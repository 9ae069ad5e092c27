"""Big imports read in a reader process (core.importing.pipeline), on SQLite and PostgreSQL:
the same reports and stored orders as reading in-process, all or nothing when the reader
fails or dies, and no reader outliving its parent."""

from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import MappingProxyType

import pytest

from core.errors import ValidationError
from core.hookspecs import hookimpl
from core.importing import pipeline as import_pipeline
from core.importing import service
from core.importing.pipeline import ImportFailed
from tests.importing import reader_formats
from tests.importing.builders import HEADER, csv_bytes, row, xlsx_from_csv_text
from tests.importing.conftest import import_events, make_shop, order_count, stored_orders
from tests.processes import children
from tests.progress_watch import Recorder

ROOT = Path(__file__).resolve().parents[2]
ROWS = 2600  # over PARALLEL_MIN_ROWS, and more than two batches
MASKED = {"收货人": "王**", "手机": "138****5678", "街道": "文三路****"}


def big_file(bad: dict[int, dict[str, str]] | None = None) -> bytes:
    """ROWS orders: clear and masked receivers, some shipped, two rows repeated exactly;
    `bad` changes given rows (0-based) into whatever they say."""
    rows = []
    for i in range(ROWS):
        changes: dict[str, str] = dict(MASKED) if i % 3 else {}
        if i % 7 == 0:
            changes.update(发货时间="2023-11-26 10:00:00", 订单状态="已发货，待签收")
        changes.update((bad or {}).get(i, {}))
        rows.append(row(f"231125-{i:06d}", **changes))
    rows.insert(1000, dict(rows[10]))
    rows.insert(2500, dict(rows[2400]))
    return csv_bytes(rows)


def imported(app, actor, shop_id: int, data: bytes, **options):  # type: ignore[no-untyped-def]
    return service.import_orders(app, actor, shop_id, io.BytesIO(data), "big.csv", **options)


def report_view(report) -> dict:  # type: ignore[no-untyped-def]
    view = report.as_dict()
    del view["shop_id"]
    return view


def orders_view(app, shop_id: int) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    """What was stored, without ids and the time of storing."""
    return {
        number: (
            o.hub_status,
            o.platform_status,
            o.refund_status,
            o.created_at_platform,
            o.platform_updated_at,
            o.paid_at,
            o.promised_ship_by,
            o.goods_amount_fen,
            o.pay_amount_fen,
            o.discount_fen,
            o.postage_fen,
            tuple(o.tags),
            o.receiver_name,
            o.receiver_phone,
            o.receiver_address,
            o.receiver_name_masked,
            o.receiver_phone_masked,
            o.receiver_address_masked,
            o.receiver_phone_hash,
            o.receiver_province,
            o.raw,
            o.source,
            tuple((ln.title, ln.quantity, ln.unit_price_fen, ln.platform_sku_id) for ln in o.lines),
        )
        for number, o in stored_orders(app, shop_id).items()
    }


def test_small_files_are_read_in_process_and_big_ones_in_a_reader() -> None:
    limit = import_pipeline.PARALLEL_MIN_ROWS
    lines = b"header\r\n" + b"x\r\n" * (limit - 1)
    assert not import_pipeline.worth_a_reader(io.BytesIO(lines))
    stream = io.BytesIO(lines + b"x\r\n")
    stream.seek(0)
    assert import_pipeline.worth_a_reader(stream) and stream.tell() == 0
    workbook = io.BytesIO(xlsx_from_csv_text(",".join(HEADER) + "\r\n"))
    assert not import_pipeline.worth_a_reader(workbook)


def test_orders_cross_the_pipe_unchanged() -> None:
    """The reader sends PlatformOrders by their state (not `__reduce__`): every field,
    `raw` and `raw_personal` included, arrives as it left."""
    from plugins.platforms.pinduoduo.export_format import PinduoduoExportFormat

    data = csv_bytes([row("231125-1"), row("231125-2", **MASKED, 售后状态="退款中")])
    orders = [i.order for i in PinduoduoExportFormat().parse(io.BytesIO(data), "o.csv")]
    kind, back = pickle.loads(import_pipeline._dumps(("orders", orders)))
    assert kind == "orders" and back == orders and list(map(hash, back)) == list(map(hash, orders))
    for sent, got in zip(orders, back, strict=True):
        assert dict(got.raw) == dict(sent.raw) and isinstance(got.raw, MappingProxyType)
        assert got.raw_personal is sent.raw_personal and got.status is sent.status
    assert [o.raw_personal for o in back] == [True, False]


def test_a_reader_process_imports_exactly_what_one_process_does(app, acme, shop) -> None:
    other = make_shop(app, acme.org_id, "对照店", "9003")
    data = big_file()
    alone = imported(app, acme.admin, other, data, parallel=False)
    apart = imported(app, acme.admin, shop, data, parallel=True)
    assert apart.outcome == "imported" and apart.new == ROWS and apart.duplicates == 2
    assert report_view(apart) == report_view(alone)
    assert orders_view(app, shop) == orders_view(app, other)
    (event,) = import_events(app, acme.org_id)[1:]
    assert event.after["new"] == ROWS

    dry = imported(app, acme.admin, shop, data, dry_run=True, parallel=True)
    assert (dry.new, dry.updated, dry.unchanged) == (0, 0, ROWS)
    assert report_view(dry) == report_view(
        imported(app, acme.admin, shop, data, dry_run=True, parallel=False)
    )
    again = imported(app, acme.admin, shop, data)  # big enough: a reader by itself
    assert (again.new, again.updated, again.unchanged) == (0, 0, ROWS)
    assert orders_view(app, shop) == orders_view(app, other)


def test_a_workbook_read_in_a_reader_process_imports_the_same(app, acme, shop) -> None:
    workbook = xlsx_from_csv_text(big_file().decode("utf-8-sig"))
    assert import_pipeline.worth_a_reader(io.BytesIO(workbook))
    other = make_shop(app, acme.org_id, "对照店", "9003")

    def load(shop_id: int, parallel: bool):  # type: ignore[no-untyped-def]
        stream = io.BytesIO(workbook)
        return service.import_orders(
            app, acme.admin, shop_id, stream, "big.xlsx", parallel=parallel
        )

    apart, alone = load(shop, True), load(other, False)
    assert apart.outcome == "imported" and apart.new == ROWS
    assert report_view(apart) == report_view(alone)
    assert orders_view(app, shop) == orders_view(app, other)


def test_rows_with_errors_import_nothing_or_with_partial_exactly_the_rest(app, acme, shop) -> None:
    bad = {5: {"商品总价(元)": "39.9x"}, 2300: {"订单状态": "待成团"}}
    data = big_file(bad)
    rejected = imported(app, acme.admin, shop, data, parallel=True)
    assert rejected.outcome == "rejected" and order_count(app, shop) == 0
    assert [(i.row, i.column) for i in rejected.issues if i.severity == "error"] == [
        (7, "商品总价(元)"),
        (2303, "订单状态"),
    ]
    assert report_view(rejected) == report_view(
        imported(app, acme.admin, shop, data, parallel=False)
    )
    partial = imported(app, acme.admin, shop, data, partial=True, parallel=True)
    assert partial.outcome == "imported" and partial.new == ROWS - 2 == order_count(app, shop)
    assert {"231125-000005", "231125-002300"}.isdisjoint(stored_orders(app, shop))


def test_a_file_the_reader_cannot_read_is_the_same_error(app, acme, shop) -> None:
    data = big_file().decode("utf-8-sig").replace("订单号", "单号", 1).encode("utf-8-sig")
    with pytest.raises(ValidationError, match="missing column 订单号") as apart:
        imported(app, acme.admin, shop, data, format="pdd-export", parallel=True)
    with pytest.raises(ValidationError) as alone:
        imported(app, acme.admin, shop, data, format="pdd-export", parallel=False)
    assert str(apart.value) == str(alone.value) and apart.value.details == alone.value.details
    assert order_count(app) == 0


def test_an_unterminated_quote_late_in_a_big_file_stops_it_read_apart_or_alone(app, acme, shop):  # type: ignore[no-untyped-def]
    data = big_file({2000: {"买家留言": '"请周末送'}}).decode("utf-8-sig")
    data = data.replace('"""请周末送"', '"请周末送', 1).encode("utf-8-sig")  # csv.writer escaped it
    errors = []
    for parallel in (True, False):
        with pytest.raises(ValidationError, match="unterminated quote opened at row 2003,") as e:
            imported(app, acme.admin, shop, data, partial=True, parallel=parallel)
        errors.append((str(e.value), e.value.details))
    assert errors[0] == errors[1] and errors[0][1]["field"] == "买家留言"
    assert order_count(app) == 0


def test_a_reader_that_dies_fails_the_import_and_nothing_is_committed(app, acme, shop) -> None:
    app.plugins.register(reader_formats, "reader-formats")
    died = r"big.csv: the import's reader process stopped \(killed by SIGKILL\); nothing was"
    with pytest.raises(ImportFailed, match=died):
        imported(app, acme.admin, shop, big_file(), format="dying-export", parallel=True)
    assert order_count(app) == 0 and import_events(app, acme.org_id) == []
    with pytest.raises(KeyError, match="a bug in the format"):
        imported(app, acme.admin, shop, big_file(), format="buggy-export", parallel=True)
    assert order_count(app) == 0
    report = imported(app, acme.admin, shop, big_file())  # and the next import works
    assert report.outcome == "imported" and order_count(app, shop) == ROWS


def test_order_synced_listeners_hear_the_same_orders(app, acme, shop) -> None:
    heard: list[tuple[str, bool, int]] = []

    class Listener:
        @hookimpl
        def order_synced(self, org_id, shop_id, order_id, order, created):  # type: ignore[no-untyped-def]
            heard.append((order.order_number, created, len(order.raw)))

    app.plugins.register(Listener(), "listener")
    other = make_shop(app, acme.org_id, "对照店", "9003")
    imported(app, acme.admin, other, big_file(), parallel=False)
    alone = sorted(heard)
    heard.clear()
    imported(app, acme.admin, shop, big_file(), parallel=True)
    assert len(heard) == ROWS and sorted(heard) == alone


SCRIPT = """
import sys
from pathlib import Path
from core import crypto, migrate
from core.importing import service
from core.actor import Actor
from core.startup import open_app
from core.config import PluginSettings, Settings
from core.db import create_db_engine
from core.models import Org, Shop
from tests.importing import reader_formats
from tests.importing.test_import_pipeline import big_file

work = Path(sys.argv[1])
url = f"sqlite:///{work / 'db.sqlite'}"
engine = create_db_engine(url)
migrate.upgrade(engine)
engine.dispose()
app = open_app(Settings(data_dir=work, database_url=url, secret_key=crypto.generate_key(),
                        plugins=PluginSettings(only=("orderhub",)), source="test"))
app.plugins.register(reader_formats, "reader-formats")
with app.tx() as session:
    org = Org(name="t")
    session.add(org)
    session.flush()
    shop = Shop(org_id=org.id, platform="pinduoduo", platform_shop_id="1", name="s")
    session.add(shop)
    session.flush()
    org_id, shop_id = org.id, shop.id
(work / "orders.csv").write_bytes(big_file())
service.import_orders(app, Actor.system(org_id, label="t"), shop_id, work / "orders.csv",
                        format="slow-export", parallel=True)
"""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its exit status is left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_reader_dies_with_its_parent(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 60
        readers: list[int] = []
        while not readers and time.monotonic() < deadline and parent.poll() is None:
            readers = [
                pid
                for pid in children(parent.pid)
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
            ]
            time.sleep(0.2)
        assert readers, "the import started no reader process"
        time.sleep(2)  # well into the file (the slow format sleeps after 1,500 rows)
        assert all(_running(pid) for pid in readers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while any(map(_running, readers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_running, readers)), "a reader outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()


@pytest.mark.parametrize("parallel", [False, True])
def test_progress_follows_the_batches_read_apart_or_alone(app, acme, shop, parallel) -> None:
    watcher = Recorder()
    report = imported(app, acme.admin, shop, big_file(), parallel=parallel, progress=watcher)
    assert report.new == ROWS
    assert watcher.calls[0] == ("start", None, "orders", "big.csv", 0)
    assert watcher.calls[-1] == ("finish",)
    steps = watcher.calls[1:-1]
    assert len(steps) >= 3 and {step[0] for step in steps} == {"advance"}
    assert sum(step[1] for step in steps) == ROWS
    assert steps[-1][2] == {"new": ROWS, "updated": 0, "unchanged": 0}
    news = [step[2]["new"] for step in steps]
    assert news == sorted(news)  # running totals, not increments

    dry = Recorder()
    imported(app, acme.admin, shop, big_file(), dry_run=True, parallel=parallel, progress=dry)
    assert dry.calls[-2][2] == {"new": 0, "updated": 0, "unchanged": ROWS}


def test_an_import_that_fails_leaves_the_progress_unfinished(app, acme, shop) -> None:
    watcher = Recorder()
    data = big_file({2000: {"买家留言": '"请周末送'}}).decode("utf-8-sig")
    data = data.replace('"""请周末送"', '"请周末送', 1).encode("utf-8-sig")
    with pytest.raises(ValidationError, match="unterminated quote"):
        imported(app, acme.admin, shop, data, parallel=False, progress=watcher)
    assert watcher.calls[0][0] == "start" and watcher.calls[1][0] == "advance"
    assert ("finish",) not in watcher.calls  # the front end closes it, without a summary
