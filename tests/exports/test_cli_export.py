"""`orderhub export …` and `orderhub sku export|import --mappings` through the real entry
point: files written and read back, bad input named without a traceback, no half file."""

from __future__ import annotations

import json

import pytest

from core import tabular
from core.accounts import roles
from tests.desk.world import BASE, OrderSpec, store_world
from tests.test_cli_accounts import cli_env, run  # noqa: F401 - the fixture is used by name


def rows_of(path) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    with open(path, "rb") as stream:
        table = tabular.read_table(stream, path.name)
        return [dict(zip(table.header, r.cells, strict=False)) for r in table.rows]


def test_export_orders_and_the_rest_to_files(cli_env, capsys, app, tmp_path) -> None:  # noqa: F811
    world = store_world(
        app,
        cli_env.org_id,
        [
            OrderSpec(hub="audited", paid=BASE, waybill=0, print_state="done"),
            OrderSpec(hub="pending", paid=BASE, place=2),
        ],
    )
    target = tmp_path / "订单.xlsx"
    code, out, err = run(
        capsys, "export", "orders", "--filter", "-status:pending", "--from", "2026-11-20",
        "--to", "2026-11-20", "--xlsx", str(target),
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == f"orders: 1 rows written to {target}; receivers masked"
    assert [r["订单号"] for r in rows_of(target)] == [world.orders[0].number]
    assert rows_of(target)[0]["收货人"] == "王**"
    assert target.stat().st_mode & 0o777 == 0o600  # may hold buyers' data: the owner's only

    code, out, err = run(
        capsys, "--json", "export", "orders", "--reveal", "--csv", str(tmp_path / "o.csv")
    )
    assert code == 0, err
    assert json.loads(out) | {"file": ""} == {
        "kind": "orders", "rows": 2, "file": "", "filter": "", "revealed": True, "left_masked": 0,
    }  # fmt: skip
    assert {r["收货人"] for r in rows_of(tmp_path / "o.csv")} == {"王小明"}

    for kind, count in (("packages", 1), ("waybills", 1), ("prints", 1)):
        path = tmp_path / f"{kind}.csv"
        code, out, err = run(capsys, "export", kind, "--csv", str(path))
        assert code == 0 and out.startswith(f"{kind}: {count} rows"), err
        assert len(rows_of(path)) == count


def test_bad_input_is_one_clear_line_and_leaves_no_file(cli_env, capsys, app, tmp_path) -> None:  # noqa: F811
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "x.csv"
    target.write_bytes(b"the file that was there")
    for argv, message in (
        (("--filter", "stauts:pending"), "unknown key 'stauts' at column 1; did you mean 'status'"),
        (("--from", "2026/11/20"), "--from '2026/11/20' is not a date"),
        (("--filter", "sort:paid"), "an export goes by id"),
    ):
        code, _, err = run(capsys, "export", "orders", *argv, "--csv", str(target))
        assert code == 1 and message in err and "Traceback" not in err, err
    code, _, err = run(capsys, "export", "prints", "--reveal", "--csv", str(target))
    assert code == 1 and "--reveal: prints carry no receiver names" in err
    code, _, err = run(capsys, "export", "orders", "--csv", str(tmp_path / "无" / "x.csv"))
    assert code == 1 and "there is no folder" in err
    roles.create_role(app, cli_env.admin, "looker", ("order.view",))
    cli_env.staff("looker", "looker")
    code, _, err = run(
        capsys, "export", "orders", "--reveal", "--as", "looker", "--csv", str(target)
    )
    assert code == 1 and "pii.view" in err and "Traceback" not in err
    assert target.read_bytes() == b"the file that was there"  # untouched, no half file
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["x.csv"]  # no temporary left behind
    with pytest.raises(SystemExit) as usage:  # argparse's own usage error
        run(capsys, "export", "orders")
    assert usage.value.code == 2
    assert "one of the arguments --csv --xlsx is required" in capsys.readouterr().err


def test_sku_and_mapping_files_round_trip_through_the_cli(cli_env, capsys, tmp_path) -> None:  # noqa: F811
    for argv in (
        ("sku", "add", "CUP", "--name", "=保温杯", "--weight", "350", "--cost", "12.50"),
        ("sku", "add", "LID", "--name", "杯盖"),
        ("sku", "map", "1002", "CUP", "LID*2"),
    ):
        assert run(capsys, *argv)[0] == 0
    skus, maps = tmp_path / "商品档案.xlsx", tmp_path / "对应.csv"
    code, out, err = run(capsys, "sku", "export", "--xlsx", str(skus))
    assert code == 0 and out.strip() == f"skus: 2 rows written to {skus}", err
    code, out, err = run(capsys, "sku", "export", "--mappings", "--csv", str(maps))
    assert code == 0 and out.strip() == f"mappings: 2 rows written to {maps}", err
    code, out, _ = run(capsys, "--json", "sku", "import", str(skus))
    assert json.loads(out) == {"added": 0, "updated": 0, "unchanged": 2}
    code, out, _ = run(capsys, "--json", "sku", "import", "--mappings", str(maps))
    assert json.loads(out) == {"added": 0, "replaced": 0, "unchanged": 1}
    bad = tmp_path / "坏.csv"
    bad.write_text("平台SKU ID,商家编码,数量\n1003,CUP,1\n1004,NOPE,1\n", encoding="utf-8")
    code, _, err = run(capsys, "sku", "import", "--mappings", str(bad))
    assert code == 1 and "坏.csv row 3, column 商家编码: no SKU with code 'NOPE'" in err
    code, out, _ = run(capsys, "--json", "sku", "mappings")
    assert [m["platform_sku_id"] for m in json.loads(out)] == ["1002"]  # nothing of the bad file
