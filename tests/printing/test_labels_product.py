"""Product labels (商品标签, one per unit of every goods line) and packing slips for a
filter selection, from the command line to a loopback TSPL printer and a PDF folder."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core.errors import PermissionDenied, ValidationError
from core.models import AuditEvent, Waybill
from core.printing import printers
from core.printing.jobs import create_job
from tests.printing import streams
from tests.printing.test_cli import cli, ok, run  # noqa: F401  (cli is a fixture)
from tests.printing.test_labels_courier import (
    HAN,
    imported_orders,
    label_printer,
    pdf_printer,
    texts,
)


def test_product_labels_one_per_unit_and_slips_for_a_filter_from_the_cli(
    cli,  # noqa: F811
    capsys,
    listener,
    tmp_path,
) -> None:
    label_printer(cli, listener.port)
    pdf_printer(cli, tmp_path / "office")
    imported_orders(cli)
    result = ok(
        capsys,
        "print",
        "--orders",
        "231125-100000000000001",
        "231125-100000000000002",
        "--printer",
        "gp-1",
        "--kind",
        "product-label",
    )
    assert (result["status"], result["total"]) == ("done", 5)
    assert streams.settle(listener, 5) == {"CUP-500-GN": 2, "TS-WH-XL": 3}  # the barcodes
    lines = texts(listener)
    assert "编码 CUP-500-GN   库位" in lines and "墨绿色  ￥19.95" in lines
    assert sum("纯棉短袖T恤" in line for line in lines) == 3
    with cli.app.tx() as session:  # product labels are not the parcel's label
        assert session.scalars(select(Waybill)).all() == []

    code, out, err = run(
        capsys,
        "--json",
        "print",
        "--filter",
        "shop=导入店",
        "--printer",
        "office",
        "--kind",
        "packing-slip",
    )
    assert code == 0, err
    assert json.loads(out)["total"] == 2
    (slip_file,) = [p for p in (tmp_path / "office").iterdir() if p.suffix == ".pdf"]
    reader = PdfReader(slip_file)
    assert len(reader.pages) == 2
    text = "".join(page.extract_text() for page in reader.pages)
    assert "231125-100000000000001" in text and "231125-100000000000002" in text
    assert "韩**" in text and HAN not in text


def test_product_labels_need_print_run_and_are_audited(rig, listener, globex) -> None:  # type: ignore[no-untyped-def]
    label_printer(rig, listener.port)
    _, order_ids = imported_orders(rig)
    viewer = rig.org.staff("viewer", "read_only")
    with pytest.raises(PermissionDenied):
        create_job(rig.app, viewer, order_ids, ["gp-1"], kind="product_label")
    operator = rig.org.staff("packer", "warehouse")
    job = create_job(rig.app, operator, order_ids, ["gp-1"], kind="product_label")
    assert (job.kind, job.total, job.template) == ("product_label", 5, "product-label-50x30@1")
    with rig.app.tx() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "print.job_create")
        ).one()
    assert (event.actor_user_id, event.after["kind"], event.after["items"]) == (
        operator.user_id,
        "product_label",
        5,
    )
    settings = {"host": "127.0.0.1", "port": listener.port}
    printers.add_printer(rig.app, globex.admin, name="g-1", driver="network", settings=settings)
    with pytest.raises(ValidationError, match="no order with id"):  # another org's: unknown
        create_job(rig.app, globex.admin, order_ids, ["g-1"], kind="product_label")
