"""Issue 11's daily flow, end to end on the sandbox gateway: a sync approves some orders
and queues the others with reasons; an operator fixes one (remark, approve), holds and
releases another, merges two orders of one receiver; `print --filter status:audited`
then prints one label per package — one for the merged pair, on one waybill."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core.auditing import decisions
from core.desk import edits, holds, packing, search
from core.models import PackageLine, PrintJobItem, Waybill
from core.orders import merging
from core.printing import printers
from core.printing.jobs import create_job
from core.printing.runner import run_job
from core.printing.selection import select_order_ids
from core.waybills import carrier_accounts
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.sync.rig import Rig, make_rig
from tests.waybills.rig import SENDER


@pytest.fixture
def rig(settings) -> Iterator[Rig]:  # type: ignore[no-untyped-def]
    config = SandboxConfig(
        seed=11, shops=1, orders=400, history_days=1.0, rate_limits=False, waybill_quantity=5000
    )
    with SandboxServer(config) as server:
        built = make_rig(settings, server, initial_days=2)
        yield built
        built.app.close()


def test_sync_fix_merge_and_print_the_audited_orders(rig: Rig, tmp_path: Path) -> None:
    rig.settle()
    [shop_id] = rig.bind_all()
    rig.sync_until_done(shop_id)
    app, admin = rig.app, rig.org.admin

    tabs = search.count_tabs(app, admin).counts
    assert tabs["audited"] > 0 and tabs["exception"] > 0
    queued = search.search_orders(app, admin, "exception:buyer_memo", limit=5).rows
    assert queued and all("buyer_memo" in row.exception_reasons for row in queued)

    # Fix one: the operator reads the memo, notes it, and approves the order.
    fixed = queued[0].order_no
    edits.set_remark(app, admin, fixed, "已电话确认，正常发货")
    assert decisions.approve(app, admin, [fixed])
    # Hold another while waiting for the buyer, then release it.
    other = queued[1].order_no
    holds.hold_orders(app, admin, [other], reason="等买家确认颜色")
    assert [r.order_no for r in search.search_orders(app, admin, "hold:yes").rows] == [other]
    holds.release_orders(app, admin, [other])

    # Merge the first pair of one receiver that may be merged.
    groups = merging.merge_candidates(app, admin)
    assert groups, "the sandbox seeds receivers with more than one order"
    pair = [o.order_number for o in groups[0].orders[:2]]
    merged = packing.merge(app, admin, pair)
    assert sorted(merged.order_numbers) == sorted(pair)
    audited = set(select_order_ids_of(rig, "status:audited"))
    assert fixed in audited and set(pair) <= audited  # merged orders left the queue

    carrier_accounts.create_account(
        app,
        admin,
        name="yto",
        carrier="pinduoduo-waybill",
        wp_code="YTO",
        sender=SENDER,
        shop_id=shop_id,
    )
    (tmp_path / "labels").mkdir()
    printers.add_printer(
        app,
        admin,
        name="pdf",
        driver="file",
        settings={"folder": str(tmp_path / "labels")},
        language="pdf",
    )
    with app.tx() as session:
        order_ids = select_order_ids(session, admin, "status:audited")
    job = create_job(app, admin, order_ids, ["pdf"], carrier_account="yto")
    assert not job.refused
    result = run_job(app, admin, job.job_id, render_processes=0)
    assert result.status == "done", result

    with app.tx() as session:
        items = session.execute(
            select(PrintJobItem.package_id, PrintJobItem.waybill_id).where(
                PrintJobItem.job_id == job.job_id
            )
        ).all()
        packed = Counter(
            session.scalars(
                select(PackageLine.package_id).where(PackageLine.order_id.in_(order_ids))
            )
        )
        numbers = dict(session.execute(select(Waybill.id, Waybill.package_id)).all())
    assert len(items) == len({p for p, _ in items}) == len(order_ids) - 1  # one pair, one label
    assert packed[merged.package_id] == 2
    [(_, merged_waybill)] = [(p, w) for p, w in items if p == merged.package_id]
    assert numbers[merged_waybill] == merged.package_id
    pdfs = [p for p in (tmp_path / "labels").iterdir() if not p.name.startswith(".")]
    assert sum(len(PdfReader(p).pages) for p in pdfs) == len(items)  # a page per label


def select_order_ids_of(rig: Rig, query: str) -> list[str]:
    return [row.order_no for row in search.search_orders(rig.app, rig.org.admin, query).rows]
