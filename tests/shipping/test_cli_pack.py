"""`orderhub pack` through `cli.main.main`, a scanner's keystrokes on a fake stdin."""

from __future__ import annotations

import pytest

from core.orders import packages
from core.shipping.tracking import set_tracking_number
from tests.shipping.cli_rig import json_lines, point_cli_at, run
from tests.shipping.conftest import LID, ShipWorld


@pytest.fixture
def cli(world: ShipWorld, monkeypatch, settings, tmp_path) -> ShipWorld:  # type: ignore[no-untyped-def]
    point_cli_at(monkeypatch, settings, tmp_path)
    return world


def test_the_pack_loop(cli: ShipWorld, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    order = cli.order(LID)
    package = set_tracking_number(cli.app, cli.admin, "SF1000000000001", "顺丰", order_number=order)
    held = cli.order(LID)
    held_package = set_tracking_number(
        cli.app, cli.admin, "SF1000000000002", "顺丰", order_number=held
    )
    cli.set_package(held_package.package_id, status="on_hold", hold_reason="退款中，拦截")
    scans = "SF1000000000002\nSF1000000000001\nXYZ\nlid\n\nignored\n"
    code, out, err = run(capsys, monkeypatch, "--json", "pack", stdin=scans)
    answers = json_lines(out)
    assert [(a["kind"], a["loud"]) for a in answers] == [
        ("hold", True),
        ("package", False),
        ("wrong_item", True),
        ("verified", False),
    ]
    assert "退款中，拦截" in answers[0]["message"]
    assert code == 0 and "1 verified, 2 refused" in err
    assert packages.get_package(cli.app, cli.admin, package.package_id).status == "verified"
    other = cli.order(LID)
    set_tracking_number(cli.app, cli.admin, "SF1000000000003", "顺丰", order_number=other)
    code, out, err = run(capsys, monkeypatch, "pack", stdin="SF1000000000003\n")
    assert "请扫商品 / scan items" in out and "LID  ×1  杯盖" in out
    assert code == 1 and "left unverified" in err
    code, out, _ = run(capsys, monkeypatch, "pack", "settings", "--require-verification", "on")
    assert code == 0 and "shipping requires verification: on" in out
    code, _, err = run(capsys, monkeypatch, "pack", "--as", "nobody", stdin="x\n")
    assert code == 1 and err.startswith("orderhub: error:") and "Traceback" not in err
