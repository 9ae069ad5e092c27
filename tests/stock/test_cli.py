"""`orderhub sku|warehouse|stock` through the real entry point: a receipt, a count, a
transfer and the ledger's proof; a bad line named; exit 1 when the proof fails."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.test_cli_accounts import cli_env, run  # noqa: F401 - the fixture is used by name


def test_stock_commands_from_receipt_to_verify(cli_env, capsys, app) -> None:  # noqa: F811
    for argv in (
        ("warehouse", "add", "主仓", "--province", "浙江省"),
        ("warehouse", "add", "北仓"),
        ("sku", "add", "CUP", "--name", "保温杯", "--weight", "350", "--cost", "12.50"),
        ("stock", "receive", "CUP=40", "--ref", "RK-001"),
        ("stock", "count", "CUP=37"),
        ("stock", "transfer", "CUP=10", "--from", "主仓", "--to", "北仓"),
    ):
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv, err)
    code, out, _ = run(capsys, "--json", "stock", "levels")
    assert {(r["warehouse"], r["on_hand"], r["available"]) for r in json.loads(out)} == {
        ("主仓", 27, 27),
        ("北仓", 10, 10),
    }
    code, out, _ = run(capsys, "--json", "sku", "list")
    assert json.loads(out)[0]["cost_fen"] == 1250
    assert run(capsys, "stock", "verify")[0] == 0

    code, _, err = run(capsys, "stock", "receive", "CUP=4", "CUP:5")
    assert code != 0 and "line 2: 'CUP:5' is not CODE=QUANTITY" in err
    assert "Traceback" not in err

    with app.engine.begin() as conn:  # a level edited behind the ledger's back
        conn.execute(text("UPDATE stock_levels SET on_hand = on_hand + 1"))
    code, out, _ = run(capsys, "stock", "verify")
    assert code == 1 and "主仓" in out and "28/0" in out and "27/0" in out


def test_stock_receive_and_count_from_files(cli_env, capsys, tmp_path) -> None:  # noqa: F811
    for argv in (("warehouse", "add", "主仓"), ("sku", "add", "CUP"), ("sku", "add", "LID")):
        assert run(capsys, *argv)[0] == 0
    receipt = tmp_path / "入库单.csv"
    receipt.write_text("编码,数量\nCUP,10\nLID,4\nCUP,2\n", encoding="utf-8")
    code, out, err = run(capsys, "--json", "stock", "receive", "--file", str(receipt))
    assert code == 0 and json.loads(out) == {"moves": 2, "units": 16}, err
    bad = tmp_path / "盘点.csv"
    bad.write_text("编码,数量\nCUP,9\nNOPE,1\n", encoding="utf-8")
    code, _, err = run(capsys, "stock", "count", "--file", str(bad))
    assert code != 0 and "no SKU with code 'NOPE'" in err
    code, out, _ = run(capsys, "--json", "stock", "levels")
    assert {r["code"]: r["on_hand"] for r in json.loads(out)} == {"CUP": 12, "LID": 4}
    code, _, err = run(capsys, "stock", "receive")
    assert code != 0 and "give CODE=QTY lines or --file" in err


def test_sku_import_adds_and_names_a_bad_row(cli_env, capsys, tmp_path) -> None:  # noqa: F811
    good = tmp_path / "商品档案.csv"
    good.write_text("编码,名称,条码\nCUP,保温杯,6901\nLID,杯盖,6902\n", encoding="utf-8")
    code, out, err = run(capsys, "--json", "sku", "import", str(good))
    assert code == 0 and json.loads(out) == {"added": 2, "updated": 0, "unchanged": 0}, err
    bad = tmp_path / "坏.csv"
    bad.write_text("编码,重量\nCUP,300\nLID,三十\n", encoding="utf-8")
    code, _, err = run(capsys, "sku", "import", str(bad))
    assert code != 0 and "坏.csv row 3" in err and "Traceback" not in err
    code, out, _ = run(capsys, "--json", "sku", "list")
    assert [s["weight_g"] for s in json.loads(out)] == [0, 0]  # nothing of the bad file
