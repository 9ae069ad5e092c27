"""`orderhub ship intercepted|recycle` through `cli.main.main`: the list of parcels to
pull, and a recycle that asks before it cancels anything."""

from __future__ import annotations

import json

import pytest

from core.desk.holds import hold_orders
from core.shipping.tracking import set_tracking_number
from tests.shipping.cli_rig import point_cli_at, run
from tests.shipping.conftest import ShipWorld


@pytest.fixture
def cli(world: ShipWorld, monkeypatch, settings, tmp_path) -> ShipWorld:  # type: ignore[no-untyped-def]
    point_cli_at(monkeypatch, settings, tmp_path)
    return world


def test_list_then_recycle_with_confirmation(cli: ShipWorld, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    order = cli.order()
    set_tracking_number(cli.app, cli.admin, "SF1000000000001", "顺丰", order_number=order)
    hold_orders(cli.app, cli.admin, [order], reason="买家申请退款")
    package = str(cli.package(order))

    code, out, _ = run(capsys, monkeypatch, "ship", "intercepted")
    assert code == 0 and "SF1000000000001" in out and order in out and "ship recycle" in out
    code, _, err = run(capsys, monkeypatch, "ship", "recycle", package)  # not a terminal
    assert code == 1 and "--yes" in err and "Traceback" not in err
    code, out, _ = run(capsys, monkeypatch, "--json", "ship", "recycle", package, "--yes")
    assert code == 0
    assert json.loads(out) == [
        {
            "package_id": int(package),
            "waybill": "SF1000000000001",
            "outcome": "recycled",
            "error": "",
        }
    ]
    code, out, _ = run(capsys, monkeypatch, "--json", "ship", "intercepted")
    assert code == 0 and json.loads(out) == []
    code, _, err = run(capsys, monkeypatch, "ship", "recycle", package, "--yes")
    assert code == 1 and "has no live waybill" in err and "Traceback" not in err
