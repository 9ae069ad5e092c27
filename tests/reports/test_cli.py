"""`orderhub report` and `orderhub rates` through the real entry point: a table, JSON,
CSV/XLSX/PNG files, and one clear line (no traceback) for a bad name, date or grouping."""

from __future__ import annotations

import json

import pytest

from tests.reports.world import FIRST, LAST, build, sh
from tests.test_cli_accounts import cli_env, run  # noqa: F401 - the fixture is used by name


@pytest.fixture
def reports_env(cli_env, app, frozen_clock):  # type: ignore[no-untyped-def] # noqa: F811
    frozen_clock[0] = sh(1, 10)
    build(app, cli_env)
    return cli_env


def test_report_list_and_a_table(reports_env, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "report", "list")
    assert code == 0, err
    assert "shipping-cost" in out and "day | week | month | shop | province" in out
    code, out, err = run(
        capsys, "report", "orders", "--org", "acme", "--from", FIRST, "--to", LAST, "--by", "shop"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "订单统计 orders  2026-01-01 – 2026-01-07  (by shop)"
    assert lines[2].split() == ["旗舰店", "2", "30.00", "15.00"]
    code, out, err = run(
        capsys,
        "--json",
        "report",
        "shipped",
        "--org",
        "acme",
        "--from",
        FIRST,
        "--to",
        "2026-01-02",
    )
    assert code == 0, err
    assert json.loads(out)["rows"] == [
        {"key": "2026-01-01", "shipped": 1},
        {"key": "2026-01-02", "shipped": 1},
    ]


def test_report_as_viewer_says_money_is_hidden(reports_env, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(
        capsys, "report", "orders", "--org", "acme", "--as", "viewer", "--from", FIRST, "--to", LAST
    )
    assert code == 0, err
    assert "hidden without finance.view: 实付 paid, 客单价 per order" in out
    code, _, err = run(
        capsys, "report", "orders", "--org", "acme", "--as", "clerk", "--from", FIRST, "--to", LAST
    )
    assert code == 1 and "lacks permission report.view" in err


def test_report_files(reports_env, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    csv, xlsx, png = tmp_path / "r.csv", tmp_path / "r.xlsx", tmp_path / "r.png"
    code, out, err = run(
        capsys, "report", "shipping-cost", "--org", "acme", "--from", FIRST, "--to", LAST,
        "--csv", str(csv), "--xlsx", str(xlsx), "--png", str(png),
    )  # fmt: skip
    assert code == 0, err
    assert f"wrote 2 rows to {csv}" in out and f"drew the chart in {png}" in out
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf") and xlsx.stat().st_size > 1000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("report", "sales"), "no report 'sales'; the reports are orders, shipped"),
        (("report", "orders", "--from", "2026-13-01"), "from: '2026-13-01' is not a date"),
        (
            ("report", "orders", "--from", "2026-01-09", "--to", "2026-01-02"),
            "ends (2026-01-02) before",
        ),
        (("report", "orders", "--by", "carrier"), "report orders groups by day, week, month, shop"),
        (("report", "orders", "--shop", "无此店"), "no shop '无此店'"),
        (
            ("report", "carriers", "--from", "2025-06-01", "--to", "2025-06-02", "--png", "x.png"),
            "no rows in 2025-06-01",
        ),
    ],
)
def test_bad_input_is_one_clear_line(
    reports_env, capsys, argv, message, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    code, _, err = run(capsys, *argv, "--org", "acme")
    assert code == 1 and message in err
    assert "Traceback" not in err
    assert list(here.iterdir()) == []  # no file half written


def test_rates_commands(reports_env, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(
        capsys,
        "rates",
        "set",
        "顺丰",
        "--org",
        "acme",
        "--first",
        "12",
        "--step",
        "2.5",
        "--step-weight",
        "500",
    )
    assert code == 0, err
    sheet = tmp_path / "运费模板.csv"
    sheet.write_text(
        "快递账号,省份,首重(克),首重价格(元),续重(克),续重价格(元)\n顺丰,新疆维吾尔自治区,1000,20,1000,10\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "--json", "rates", "import", str(sheet), "--org", "acme")
    assert code == 0 and json.loads(out) == {"rates": 1}, err
    code, out, err = run(capsys, "--json", "rates", "list", "--org", "acme")
    found = {
        (r["account"], r["province"]): (r["first_fen"], r["step_weight_g"], r["step_fen"])
        for r in json.loads(out)
    }
    assert found == {
        ("圆通", ""): (300, 1000, 100),
        ("圆通", "广东省"): (400, 1000, 200),
        ("顺丰", ""): (1200, 500, 250),
        ("顺丰", "新疆维吾尔自治区"): (2000, 1000, 1000),
    }
    # 顺丰's 800 g parcel to 浙江省 is priced now: within the first 1,000 g, 12.00
    code, out, _ = run(
        capsys, "--json", "report", "shipping-cost", "--org", "acme", "--from", FIRST, "--to", LAST
    )
    assert json.loads(out)["rows"][1] == {
        "key": "顺丰",
        "parcels": 1,
        "unpriced": 0,
        "kg": 0.8,
        "cost": 12.0,
        "each": 12.0,
    }
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "快递账号,首重(克),首重价格(元),续重(克),续重价格(元)\n韵达,1000,3,0,1\n", encoding="utf-8"
    )
    code, _, err = run(capsys, "rates", "import", str(bad), "--org", "acme")
    assert code == 1 and "bad.csv row 2" in err and "Traceback" not in err
    code, _, err = run(
        capsys, "rates", "delete", "顺丰", "--province", "西藏自治区", "--org", "acme"
    )
    assert code == 1 and "顺丰 has no rate for 西藏自治区" in err
    assert run(capsys, "rates", "delete", "顺丰", "--org", "acme")[0] == 0
