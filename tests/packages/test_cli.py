"""`orderhub orders candidates|merge|split|unmerge|weight|assign` and `orderhub
assign-rules …` through the real command line, with --json and as a user."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from tests.conftest import TEST_KEY
from tests.packages.desk import WANG, make_order


@pytest.fixture
def cli(desk, monkeypatch, settings, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    shop = desk.shop()
    desk.store(
        shop,
        make_order("A1", lines=(("杯子", 2), ("盖子", 1))),
        make_order("A2"),
        make_order("B1", receiver=WANG),
    )
    desk.manual_account("sf", "SF")
    return desk


def run(capsys, *argv: str) -> tuple[int, object, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() and "--json" in argv else out), err


def test_merge_split_and_weight_from_the_command_line(cli, capsys) -> None:
    code, groups, err = run(capsys, "orders", "candidates", "--json")
    assert code == 0, err
    assert [[o["order_number"] for o in g["orders"]] for g in groups] == [["A1", "A2"]]
    assert "13912345678" not in json.dumps(groups, ensure_ascii=False)

    code, merged, err = run(capsys, "orders", "merge", "A1", "A2", "--json")
    assert code == 0, err
    assert merged[0]["order_numbers"] == ["A1", "A2"]

    code, out, err = run(capsys, "orders", "weight", "A1", "1500")
    assert code == 0, err
    assert "1500" in out
    package = str(merged[0]["package_id"])
    code, views, err = run(capsys, "orders", "weight", "--package", package, "900", "--json")
    assert code == 0 and views[0]["weight_g"] == 900, err
    code, _, err = run(capsys, "orders", "weight", "A1", "900", "--package", package)
    assert code == 1 and "not both" in err
    code, _, err = run(capsys, "orders", "candidates", "--limit", "0")
    assert code == 1 and "limit must be 1 to 1000" in err

    code, out, err = run(capsys, "orders", "split", "A1", "--part", "1:2,2:1")
    assert code == 1 and "unmerge it first: orderhub orders unmerge A1" in err

    code, views, err = run(capsys, "orders", "unmerge", "A2", "--json")
    assert code == 0 and [v["order_numbers"] for v in views] == [["A1"], ["A2"]]

    code, views, err = run(
        capsys, "orders", "split", "A1", "--part", "1:1,2:1", "--part", "1:1", "--json"
    )
    assert code == 0, err
    assert [[[x["line_no"], x["quantity"]] for x in v["lines"]] for v in views] == [
        [[1, 1], [2, 1]],
        [[1, 1]],
    ]

    with pytest.raises(SystemExit) as usage:
        main(["orders", "split", "A1", "--part", "1:x"])
    assert usage.value.code == 2
    assert "'1:x' is not LINE:QUANTITY" in capsys.readouterr().err
    code, _, err = run(capsys, "orders", "split", "A1", "--part", "1:3,2:1")
    assert code == 1 and "line 1 has 2, the parts give 3" in err
    code, _, err = run(capsys, "orders", "merge", "A1", "B1")
    assert code == 1 and "order B1 goes to another receiver than A1" in err
    assert "Traceback" not in err


def test_assignment_from_the_command_line(cli, capsys) -> None:
    code, rules, err = run(
        capsys,
        "assign-rules",
        "add",
        "浙江",
        "--carrier",
        "sf",
        "--province",
        "浙江",
        "--min-weight",
        "0",
        "--json",
    )
    assert code == 0, err
    assert rules[0]["conditions"] == {"provinces": ["浙江"], "min_weight_g": 0}
    code, _, err = run(capsys, "assign-rules", "add", "默认", "--template", "label-76x130")
    assert code == 0, err
    code, rules, _ = run(capsys, "assign-rules", "move", "默认", "1", "--json")
    assert [r["name"] for r in rules] == ["默认", "浙江"]
    code, out, _ = run(capsys, "assign-rules", "list")
    assert "(default: every order)" in out and "provinces=浙江" in out
    code, rules, _ = run(capsys, "assign-rules", "disable", "默认", "--json")
    assert rules[0]["enabled"] is False
    code, result, err = run(capsys, "assign-rules", "apply", "--json")
    assert code == 0 and result == {"changed": 0}, err  # 浙江 needs a weight: none known
    code, result, _ = run(capsys, "assign-rules", "enable", "默认", "--json")
    code, result, _ = run(capsys, "assign-rules", "apply", "--json")
    assert result == {"changed": 3}
    code, result, err = run(capsys, "orders", "assign", "A1", "--carrier", "sf", "--json")
    assert code == 0 and result["assigned"] == 1, err
    assert cli.order("A1").assigned_by == "manual"
    code, result, err = run(capsys, "orders", "assign", "A1", "--clear", "--json")
    assert code == 0 and cli.order("A1").assigned_by == "rule:默认"
    code, _, err = run(capsys, "orders", "assign", "A1")
    assert code == 1 and "give a carrier account, a template or both" in err
    code, _, err = run(capsys, "assign-rules", "remove", "无此规则")
    assert code == 1 and "no assignment rule named '无此规则'" in err


def test_users_need_the_permission(cli, capsys) -> None:
    cli.org.staff("lily", "read_only")
    cli.org.staff("wang", "print_operator")
    code, _, err = run(capsys, "orders", "merge", "A1", "A2", "--as", "lily")
    assert code == 1 and "lacks permission order.edit" in err
    code, _, err = run(capsys, "assign-rules", "add", "x", "--carrier", "sf", "--as", "wang")
    assert code == 1 and "lacks permission settings.manage" in err
    code, _, err = run(capsys, "orders", "merge", "A1", "A2", "--as", "wang")
    assert code == 0, err
