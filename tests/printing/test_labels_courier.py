"""Labels a courier can use: the receiver in clear on labels of imported orders (and
nowhere else: not on packing slips, in logs, audit events or item errors), and the sort
area filled from the waybill's routing. Printed by the real drivers to a loopback TSPL
printer with a resident font (so every text arrives as a `TEXT` command in clear) and to
the `file` driver as PDF."""

from __future__ import annotations

import io
import json
import logging
import re

from pypdf import PdfReader
from sqlalchemy import select

from core.contracts import Contact
from core.importing import service as importing
from core.models import AuditEvent, Order, PrintJobItem, Waybill
from core.orders import packages
from core.printing import template_store
from core.printing.jobs import create_job
from core.printing.runner import run_job
from core.waybills import allocation, carrier_accounts
from tests.importing.builders import csv_bytes, row
from tests.importing.conftest import make_shop
from tests.printing import streams

TEXT = re.compile(rb'TEXT \d+,\d+,"TSS24\.BF2",0,\d+,\d+,"(.*?)"\r\n')
SENDER = Contact(
    name="王仓管",
    phone="13800138000",
    province="浙江省",
    city="杭州市",
    district="余杭区",
    address="仓前街道1号",
)
LI, HAN = "李雷", "韩梅梅"
LI_PHONE, HAN_PHONE = "13912345678", "13698765432"
IMPORTED = [
    row(
        "231125-100000000000001",
        收货人=LI,
        手机=LI_PHONE,
        街道="文三路90号华星时代广场A座1203室",
        **{"商品数量(件)": "\t2", "商家编码-SKU维度": "CUP-500-GN"},
    ),
    row(
        "231125-100000000000002",
        收货人=HAN,
        手机=HAN_PHONE,
        街道="学院路3号",
        商品="纯棉短袖T恤",
        商品规格="白色XL",
        **{"商品数量(件)": "\t3", "商家编码-SKU维度": "TS-WH-XL"},
    ),
]


def texts(listener) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.decode("gbk") for c in listener.connections for t in TEXT.findall(c)]


def label_printer(rig, port: int) -> None:  # type: ignore[no-untyped-def]
    rig.network_printer("gp-1", port, cjk_font="TSS24.BF2", render={"native_barcode": True})


def pdf_printer(rig, folder) -> None:  # type: ignore[no-untyped-def]
    rig.printer(
        "office",
        "file",
        "pdf",
        settings={"folder": str(folder), "create": "true"},
        media_mm=(210, 297),
    )


def imported_orders(rig) -> tuple[int, list[int]]:  # type: ignore[no-untyped-def]
    """The two orders above imported into a shop of the rig's org: (shop id, order ids)."""
    shop_id = make_shop(rig.app, rig.org.org_id, "导入店", "77001")
    report = importing.import_orders(
        rig.app, rig.org.admin, shop_id, io.BytesIO(csv_bytes(IMPORTED)), "orders.csv"
    )
    assert (report.imported, report.new) == (True, 2), report.issues
    with rig.app.tx() as session:
        ids = session.scalars(
            select(Order.id).where(Order.shop_id == shop_id).order_by(Order.platform_order_no)
        ).all()
    return shop_id, list(ids)


def with_waybills(rig, order_ids: list[int]) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Typed SF numbers on a manual account: package id → number."""
    carrier_accounts.create_account(
        rig.app, rig.org.admin, name="sf", carrier="manual", wp_code="SF", sender=SENDER
    )
    packed = packages.ensure_packages(rig.app, rig.org.admin, order_ids)
    typed = {packed.package_of_order[o]: f"SF12345678901{n}" for n, o in enumerate(order_ids, 1)}
    report = allocation.allocate(rig.app, rig.org.admin, list(typed), "sf", typed_numbers=typed)
    assert [o.outcome for o in report.outcomes] == ["allocated"] * 2
    return typed


def stored_text(rig) -> str:  # type: ignore[no-untyped-def]
    """Every audit event and every print item error, as one text."""
    with rig.app.tx() as session:
        events = session.scalars(select(AuditEvent)).all()
        errors = session.scalars(select(PrintJobItem.last_error)).all()
        return json.dumps(
            [[e.action, e.before, e.after, e.detail] for e in events] + list(errors),
            ensure_ascii=False,
        )


def test_labels_of_imported_orders_carry_the_receiver_in_clear_and_nothing_else_does(
    rig, listener, tmp_path, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    label_printer(rig, listener.port)
    pdf_printer(rig, tmp_path / "office")
    _, order_ids = imported_orders(rig)
    numbers = with_waybills(rig, order_ids)
    job = create_job(rig.app, rig.org.admin, order_ids, ["gp-1"], carrier_account="sf")
    assert job.template == "label-76x130@1" and not job.warnings  # nothing encrypted here
    assert run_job(rig.app, rig.org.admin, job.job_id).status == "done"
    assert streams.settle(listener, 2) == {n: 1 for n in numbers.values()}
    lines = texts(listener)
    assert f"{LI}  {LI_PHONE}" in lines and f"{HAN}  {HAN_PHONE}" in lines  # callable
    assert "华星时代广场" in "".join(lines)  # the whole street (masking keeps 6 characters)

    slips = create_job(rig.app, rig.org.admin, order_ids, ["office"], kind="packing_slip")
    assert run_job(rig.app, rig.org.admin, slips.job_id).status == "done"
    (slip_file,) = [p for p in (tmp_path / "office").iterdir() if p.suffix == ".pdf"]
    slip_text = "".join(page.extract_text() for page in PdfReader(slip_file).pages)
    assert "李*" in slip_text and "139****5678" in slip_text  # slips keep masking
    for clear in (LI, LI_PHONE, HAN, HAN_PHONE, "华星时代广场"):
        assert clear not in slip_text
        assert clear not in caplog.text
        assert clear not in stored_text(rig)


def test_an_item_error_never_carries_the_clear_receiver(rig, listener, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    label_printer(rig, listener.port)
    with rig.app.tx() as session:
        template_store.seed_builtins(session)
    exported = json.loads(template_store.export_template(rig.app, rig.org.admin, "label-76x130"))
    exported["name"] = "phone-barcode"  # a custom template: a barcode of the receiver name
    exported["elements"].append(
        {"type": "barcode", "x": 3, "y": 100, "width": 70, "height": 10, "field": "receiver.name"}
    )
    template_store.import_template(rig.app, rig.org.admin, json.dumps(exported))
    _, order_ids = imported_orders(rig)
    with_waybills(rig, order_ids)
    job = create_job(rig.app, rig.org.admin, order_ids, ["gp-1"], template="phone-barcode")
    result = run_job(rig.app, rig.org.admin, job.job_id)
    assert (result.done, result.failed) == (0, 2)
    with rig.app.tx() as session:
        errors = session.scalars(select(PrintJobItem.last_error)).all()
    assert all("Code 128 encodes ASCII only" in e for e in errors)
    assert any("李*" in e for e in errors)  # the renderer's message, redacted
    for clear in (LI, LI_PHONE, HAN, HAN_PHONE):
        assert clear not in caplog.text
        assert clear not in stored_text(rig)


def test_pinduoduo_labels_print_the_sort_code_of_their_waybill(rig, listener) -> None:
    label_printer(rig, listener.port)
    order_ids = rig.load_orders(count=3)
    rig.account("YTO")
    job = create_job(rig.app, rig.org.admin, order_ids, ["gp-1"])
    assert job.template == "label-76x130@1"
    assert run_job(rig.app, rig.org.admin, job.job_id).status == "done"
    streams.settle(listener, 3)
    lines = texts(listener)
    with rig.app.tx() as session:
        numbers = session.scalars(select(Waybill.number)).all()
    ledger = rig.sandbox.waybills.waybills
    for number in numbers:
        routing = ledger[number].routing
        assert routing["three_segment_code"] in lines
        hub = routing["consolidation"]
        assert f"{hub['name']}  {hub['code']}" in lines
    # the receiver of a Pinduoduo order is the platform's ciphertext: its masked copies
    receivers = [line for line in lines if re.fullmatch(r"\S\*+  1\d\d\*{4}\d{4}", line)]
    assert len(receivers) == 3
