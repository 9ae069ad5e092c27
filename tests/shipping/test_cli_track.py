"""`orderhub track set|import|template|scan` through `cli.main.main`, the scanner's
keystrokes on a fake stdin; errors are one line, never a traceback."""

from __future__ import annotations

import json

import pytest

from core.waybills.query import list_waybills
from tests.shipping.cli_rig import json_lines, point_cli_at, run
from tests.shipping.conftest import ShipWorld


@pytest.fixture
def cli(world: ShipWorld, monkeypatch, settings, tmp_path) -> ShipWorld:  # type: ignore[no-untyped-def]
    point_cli_at(monkeypatch, settings, tmp_path)
    return world


def test_set_import_and_template(cli: ShipWorld, capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    order = cli.order()
    code, out, _ = run(
        capsys,
        monkeypatch,
        "--json",
        "track",
        "set",
        "--order",
        order,
        "--account",
        "顺丰",
        "SF1000000000001",
    )
    assert code == 0 and json.loads(out)["outcome"] == "set"
    code, _, err = run(
        capsys,
        monkeypatch,
        "track",
        "set",
        "--order",
        cli.order(),
        "--account",
        "顺丰",
        "SF1000000000001",
    )
    assert code == 1 and err.startswith("orderhub: error: SF1000000000001 is already the")
    assert "Traceback" not in err
    template = tmp_path / "t.csv"
    assert run(capsys, monkeypatch, "track", "template", "-o", str(template))[0] == 0
    second = cli.order()
    cli.package(second)
    template.write_text(
        template.read_text(encoding="utf-8-sig") + f"{second},,顺丰,SF1000000000002\n"
        f"NOPE,,顺丰,SF1000000000003\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, monkeypatch, "track", "import", str(template))
    assert code == 1 and "row 3 [订单号] error: no order numbered NOPE" in out
    assert "nothing written" in err
    code, out, err = run(capsys, monkeypatch, "track", "import", str(template), "--partial")
    assert code == 1 and "written: 1 numbers stored" in err
    numbers = {w.number for w in list_waybills(cli.app, cli.admin)}
    assert numbers == {"SF1000000000001", "SF1000000000002"}


def test_the_scanner_loop(cli: ShipWorld, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first, second, third = cli.order(), cli.order(), cli.order()
    package = cli.package(second)
    typed = "\n".join(
        [
            first,
            " sf1000000000001 ",  # a scanner's burst: spaces, lower case
            "NOPE",  # not an order
            f"P{package}",
            "ab",  # not a tracking number: the package waits
            "SF1000000000002",
            third,
            "",  # an empty line ends the loop
            "SF1000000000003",
        ]
    )
    code, out, err = run(
        capsys, monkeypatch, "--json", "track", "scan", "--account", "顺丰", stdin=typed
    )
    answers = json_lines(out)
    assert [(a["ok"], a["kind"]) for a in answers] == [
        (True, "package"),
        (True, "stored"),
        (False, "error"),
        (True, "package"),
        (False, "error"),
        (True, "stored"),
        (True, "package"),
    ]
    assert answers[1]["result"]["number"] == "SF1000000000001"
    assert answers[5]["result"]["package_id"] == package
    assert "no order numbered NOPE" in answers[2]["message"]
    assert code == 1 and "2 stored, 2 failed" in err and f"order {third} left" in err
    code, out, err = run(
        capsys,
        monkeypatch,
        "track",
        "scan",
        "--account",
        "顺丰",
        stdin=f"{third}\nSF1000000000003\n",
    )
    assert code == 0 and "✓" in out and "1 stored, 0 failed" in err
    code, _, err = run(
        capsys, monkeypatch, "track", "scan", "--account", "顺丰", "--as", "nobody", stdin=""
    )
    assert code == 1 and err.startswith("orderhub: error:") and "Traceback" not in err
