"""`orderhub stock threshold|plan|replenish` through the real entry point: a threshold
set, listed and cleared; a SKU's plan; the report as a table and as JSON; bad input
answered without a traceback."""

from __future__ import annotations

import json

from tests.test_cli_accounts import cli_env, run  # noqa: F401 - the fixture is used by name


def test_thresholds_plans_and_the_report(cli_env, capsys) -> None:  # noqa: F811
    for argv in (
        ("warehouse", "add", "主仓"),
        ("sku", "add", "CUP", "--name", "保温杯", "--cost", "12.50"),
        ("stock", "receive", "CUP=40"),
        ("stock", "threshold", "set", "CUP", "50"),
        ("stock", "plan", "CUP", "--lead-time", "10", "--safety", "5"),
    ):
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv, err)
    code, out, _ = run(capsys, "--json", "stock", "threshold", "list")
    assert json.loads(out) == [
        {
            "code": "CUP",
            "warehouse": None,
            "low_stock": 50,
            "lead_time_days": 10,
            "safety_stock": 5,
        }
    ]
    code, out, _ = run(capsys, "--json", "alerts", "list")
    assert code == 0 and "[CUP @ 主仓]" in out  # 40 ≤ 50: raised when the threshold was set
    code, out, _ = run(capsys, "stock", "replenish", "--review", "3")
    assert code == 0 and "SUGGESTED" in out and "VALUE ¥" in out and "∞" in out
    code, out, _ = run(capsys, "--json", "stock", "replenish")
    [row] = json.loads(out)["rows"]
    assert (row["code"], row["available"], row["suggested"], row["cost_fen"]) == (
        "CUP",
        40,
        0,
        1250,
    )
    assert run(capsys, "stock", "threshold", "clear", "CUP")[0] == 0
    code, _, err = run(capsys, "stock", "threshold", "clear", "CUP")
    assert code != 0 and "no low-stock threshold" in err and "Traceback" not in err
    code, _, err = run(capsys, "stock", "threshold", "set", "NOPE", "3")
    assert code != 0 and "no SKU with code 'NOPE'" in err and "Traceback" not in err
    code, _, err = run(capsys, "stock", "replenish", "--warehouse", "南仓")
    assert code != 0 and "no warehouse named" in err


def test_push_settings_and_push(cli_env, capsys) -> None:  # noqa: F811
    code, _, err = run(capsys, "stock", "push")
    assert code != 0 and "stock push is off" in err and "Traceback" not in err
    code, out, _ = run(capsys, "--json", "stock", "push-settings")
    assert json.loads(out) == {"enabled": False, "shops": [], "warehouse": None}
    code, _, err = run(capsys, "stock", "push-settings", "--on", "--warehouse", "南仓")
    assert code != 0 and "no warehouse named" in err
    code, out, _ = run(capsys, "stock", "push-settings", "--on")
    assert code == 0 and "on" in out and "(every shop)" in out
    code, out, _ = run(capsys, "--json", "stock", "push")  # no shop sells anything yet
    assert code == 0 and json.loads(out)["pushed"] == 0
    code, _, err = run(capsys, "stock", "push", "--shop", "99")
    assert code != 0 and "no shop with id 99" in err


def test_replenish_writes_csv_and_xlsx(cli_env, capsys, tmp_path) -> None:  # noqa: F811
    from core.tabular import read_table

    for argv in (
        ("warehouse", "add", "主仓"),
        ("sku", "add", "=CUP", "--name", "保温杯", "--cost", "12.50"),  # a formula-like code
        ("stock", "receive", "=CUP=4"),
        ("stock", "plan", "=CUP", "--safety", "10"),
    ):
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv, err)
    for kind in ("csv", "xlsx"):
        path = tmp_path / f"补货建议.{kind}"
        code, out, err = run(capsys, "--json", "stock", "replenish", f"--{kind}", str(path))
        assert code == 0 and json.loads(out) == {"rows": 1, "file": str(path)}, err
        with path.open("rb") as stream:
            table = read_table(stream, path.name)
            assert table.header[:2] == ("仓库", "编码") and table.header[-1] == "补货金额(元)"
            [row] = list(table.rows)
        assert row.cells[1] == "'=CUP"  # neutralised: data, never a formula
        assert row.cells[9] == "6" and row.cells[-1] in ("75", "75.0")  # 10 − 4, × ¥12.50
    code, _, err = run(capsys, "stock", "replenish", "--csv", str(tmp_path / "no" / "x.csv"))
    assert code != 0 and "there is no folder" in err
