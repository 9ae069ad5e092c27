"""`orderhub warehouse …` and `orderhub orders route` through the real entry point:
warehouses with a sender, bins by hand and from a file (a bad row named, no traceback),
routing rules, and orders moved to another warehouse."""

from __future__ import annotations

import json

from tests.desk.world import OrderSpec, store_world
from tests.test_cli_accounts import cli_env, run  # noqa: F401 - the fixture is used by name


def test_warehouses_bins_rules_and_routing_from_the_command_line(
    cli_env,  # noqa: F811
    capsys,
    app,
    tmp_path,
) -> None:
    for argv in (
        ("warehouse", "add", "主仓", "--province", "浙江省", "--contact", "张三"),
        ("warehouse", "add", "北仓", "--contact", "王五", "--phone", "13900000002"),
        ("warehouse", "update", "北仓", "--sender-province", "北京市", "--sender-city", "北京市",
         "--sender-district", "朝阳区", "--sender-address", "酒仙桥路 2 号"),
        ("sku", "add", "CUP"),
        ("sku", "add", "LID"),
        ("warehouse", "bin", "set", "CUP", "A-10"),
        ("warehouse", "rule", "add", "北方", "--warehouse", "北仓", "--province", "北京"),
        ("warehouse", "rule", "add", "有货", "--warehouse", "北仓", "--warehouse", "主仓",
         "--by-stock"),
    ):  # fmt: skip
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv, err)
    code, out, _ = run(capsys, "--json", "warehouse", "list")
    houses = {h["name"]: h for h in json.loads(out)}
    assert houses["北仓"]["sender"] == "王五 13900000002 北京市北京市朝阳区酒仙桥路 2 号"
    assert houses["主仓"]["default"] and houses["主仓"]["sender"] == ""

    good = tmp_path / "库位.csv"
    good.write_text("编码,库位\nLID,A-2\n", encoding="utf-8")
    assert run(capsys, "warehouse", "bin", "import", str(good))[0] == 0
    bad = tmp_path / "坏.csv"
    bad.write_text("编码,库位\nLID,B-1\nNOPE,B-2\n", encoding="utf-8")
    code, _, err = run(capsys, "warehouse", "bin", "import", str(bad))
    assert code != 0 and "坏.csv row 3: no SKU with code 'NOPE'" in err
    assert "Traceback" not in err
    code, out, _ = run(capsys, "--json", "warehouse", "bin", "list")
    assert [(b["code"], b["bin"]) for b in json.loads(out)] == [("LID", "A-2"), ("CUP", "A-10")]
    code, out, _ = run(capsys, "--json", "warehouse", "rule", "list")
    assert [(r["position"], r["name"], r["warehouses"]) for r in json.loads(out)] == [
        (1, "北方", ["北仓"]),
        (2, "有货", ["北仓", "主仓"]),
    ]
    assert run(capsys, "warehouse", "rule", "remove", "有货")[0] == 0

    world = store_world(app, cli_env.org_id, [OrderSpec(), OrderSpec(hub="shipped")], prefix="CLI")
    pending, shipped = (o.number for o in world.orders)
    code, out, err = run(capsys, "--json", "orders", "route", pending, "--warehouse", "北仓")
    assert code == 0 and json.loads(out)["moved"] == [pending], err
    code, out, _ = run(capsys, "orders", "show", pending)
    assert code == 0 and "warehouse: 北仓" in out
    code, out, _ = run(capsys, "orders", "route", pending, shipped, "--warehouse", "主仓")
    assert code == 1 and "refused" in out and "is shipped" in out
    code, _, err = run(capsys, "orders", "route", pending, "--warehouse", "西仓")
    assert code != 0 and "no warehouse named '西仓'" in err and "Traceback" not in err
