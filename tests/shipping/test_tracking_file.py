"""Tracking numbers in batch: a CSV or XLSX file checked whole before anything is written,
errors naming row and column, `partial` keeping the good rows; and its template."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from core.errors import ValidationError
from core.shipping.tracking_file import TEMPLATE_HEADER, import_tracking, template
from core.waybills.query import list_waybills
from tests.shipping.conftest import ShipWorld


def csv_file(*rows: str, header: str = "订单号,快递账号,快递单号") -> io.BytesIO:
    return io.BytesIO(("\n".join((header, *rows)) + "\n").encode())


def numbers_of(world: ShipWorld) -> dict[str, str]:
    return {w.number: w.status for w in list_waybills(world.app, world.admin)}


def test_a_good_file_is_stored_and_a_bad_row_stops_all_of_it(world: ShipWorld) -> None:
    a, b, c = world.order(), world.order(), world.order()
    package_c = world.package(c)
    world.package(a), world.package(b)
    bad = csv_file(
        f"{a},顺丰,SF1000000000001",
        f"{b},韵达,SF1000000000002",  # no such account
        "NOPE,顺丰,SF1000000000003",  # no such order
        f"{c},顺丰,SF1000000000001",  # the number of row 2 again
        f"{a},顺丰,ab",  # not a number
    )
    report = import_tracking(world.app, world.admin, bad, filename="numbers.csv")
    assert (report.rows, report.valid, report.invalid, report.written) == (5, 1, 4, False)
    assert [(i.row, i.column) for i in report.issues] == [
        (6, "快递单号"),
        (3, "快递账号"),
        (4, "订单号"),
        (5, "快递单号"),
    ]
    assert "row 6: 'ab' is not a tracking number" in report.issues[0].message
    assert "no carrier account named '韵达'" in report.issues[1].message
    assert report.issues[3].message == "SF1000000000001 is also on row 2 of this file"
    assert numbers_of(world) == {}  # nothing written
    partial = import_tracking(
        world.app,
        world.admin,
        csv_file(f"{a},顺丰,SF1000000000001", f"{b},韵达,SF1000000000002"),
        filename="numbers.csv",
        partial=True,
    )
    assert (partial.valid, partial.invalid, partial.stored, partial.written) == (1, 1, 1, True)
    good = csv_file(
        f"{b},顺丰,SF1000000000002",
        header="订单号,快递账号,快递单号",
    )
    by_package = csv_file(
        f"P{package_c},顺丰,73123456789012", header="包裹号 package_id,快递账号,tracking_number"
    )
    assert import_tracking(world.app, world.admin, good, filename="a.csv").written
    report = import_tracking(world.app, world.admin, by_package, filename="b.csv")
    assert report.written and report.issues[0].severity == "warning"
    assert "does not look like a SF number" in report.issues[0].message
    assert set(numbers_of(world)) == {"SF1000000000001", "SF1000000000002", "73123456789012"}


def test_a_dry_run_writes_nothing_and_orders_without_a_package_get_one(world: ShipWorld) -> None:
    order = world.order()  # never packed
    dry = import_tracking(
        world.app,
        world.admin,
        csv_file(f"{order},顺丰,SF1000000000001"),
        filename="n.csv",
        dry_run=True,
    )
    assert (dry.valid, dry.invalid, dry.written) == (1, 0, False)
    assert "gets one on import" in dry.issues[0].message
    assert numbers_of(world) == {}
    real = import_tracking(
        world.app, world.admin, csv_file(f"{order},顺丰,SF1000000000001"), filename="n.csv"
    )
    assert (real.valid, real.written, real.packed_orders) == (1, True, 1)
    assert real.results[0][1].package_id == world.package(order)


def test_a_workbook_is_read_and_a_header_without_the_columns_is_refused(world: ShipWorld) -> None:
    order = world.order()
    book = Workbook()
    sheet = book.active
    sheet.append(list(TEMPLATE_HEADER))
    sheet.append([order, None, "顺丰", "SF1000000000001"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    report = import_tracking(world.app, world.admin, data, filename="numbers.xlsx")
    assert report.written and report.stored == 1
    with pytest.raises(ValidationError, match=r"lacks the column\(s\) account"):
        import_tracking(
            world.app, world.admin, csv_file("1,2", header="订单号,快递单号"), filename="x.csv"
        )


def test_the_templates_carry_the_header() -> None:
    text = template("csv").decode("utf-8-sig")
    assert text.strip() == ",".join(TEMPLATE_HEADER)
    assert template("xlsx").startswith(b"PK")
