"""`orderhub carrier …` and `orderhub waybill …` end to end: the real command line, the
real carrier plugins, the sandbox gateway over loopback HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from tests.conftest import TEST_KEY
from tests.waybills.rig import platform_settings


@pytest.fixture
def cli(rig, monkeypatch, settings, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    for key, value in platform_settings(rig.server).items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        monkeypatch.setenv(f"ORDERHUB_PLATFORMS__PINDUODUO__{key.upper()}", text)
    return rig


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_carrier_accounts_and_waybills_from_the_command_line(cli, capsys) -> None:
    numbers = cli.order_numbers()[:3]
    cli.load_orders(numbers=numbers)
    shop = str(cli.bind())

    code, out, err = run(
        capsys,
        "--json",
        "carrier",
        "subscriptions",
        "--carrier",
        "pinduoduo-waybill",
        "--shop",
        shop,
        "--wp-code",
        "YTO",
    )
    assert code == 0, err
    (sub,) = json.loads(out)
    assert sub["remaining"] == 500 and sub["addresses"]

    code, out, err = run(
        capsys,
        "--json",
        "carrier",
        "add",
        "圆通",
        "--carrier",
        "pinduoduo-waybill",
        "--wp-code",
        "yto",
        "--shop",
        shop,
        "--sender-name",
        "王仓管",
        "--sender-phone",
        "13800138000",
    )
    assert code == 0, err
    account = json.loads(out)
    assert account["wp_code"] == "YTO" and account["logistics_company_id"] == "85"
    code, out, _ = run(capsys, "carrier", "list")
    assert code == 0 and "圆通" in out and "pinduoduo-waybill" in out

    code, out, err = run(
        capsys, "--json", "waybill", "allocate", "--account", "圆通", "--orders", *numbers[:2]
    )
    assert code == 0 and err == ""  # no progress with --json
    first = json.loads(out)["outcomes"]
    assert [o["outcome"] for o in first] == ["allocated", "allocated"]
    assert [o["order"] for o in first] == numbers[:2]
    code, out, err = run(capsys, "waybill", "allocate", "--account", "圆通", "--orders", *numbers)
    assert code == 0 and "2 kept" in err and "1 allocated" in err
    # stderr is not a terminal: the progress is one last line (a batch is quick)
    assert "waybills from 圆通: 3/3 packages (100%) in " in err
    assert "; 1 allocated, 2 kept, 0 failed\n" in err

    code, out, _ = run(capsys, "--json", "waybill", "list", "--order", numbers[0])
    (listed,) = json.loads(out)
    assert listed["number"] == first[0]["number"] and listed["orders"] == [numbers[0]]

    code, out, err = run(
        capsys, "--json", "waybill", "cancel", first[0]["number"], "--reason", "address changed"
    )
    assert code == 0, err
    assert json.loads(out)[0]["outcome"] == "cancelled"
    assert cli.platform_waybills()[first[0]["number"]] == "cancelled"

    code, out, err = run(
        capsys, "waybill", "allocate", "--account", "圆通", "--orders", numbers[1], "--reallocate"
    )
    assert code == 1 and "needs a reason" in err
    code, out, err = run(
        capsys,
        "--json",
        "waybill",
        "allocate",
        "--account",
        "圆通",
        "--orders",
        numbers[1],
        "--reallocate",
        "--reason",
        "torn",
    )
    assert code == 0, err
    assert json.loads(out)["outcomes"][0]["number"] != first[1]["number"]
    cli.assert_ledgers_agree()


def test_manual_numbers_from_the_command_line(cli, capsys) -> None:
    numbers = cli.order_numbers()[:2]
    cli.load_orders(numbers=numbers)
    code, out, err = run(
        capsys,
        "--json",
        "carrier",
        "add",
        "顺丰手工",
        "--carrier",
        "manual",
        "--wp-code",
        "SF",
        "--sender-name",
        "王仓管",
        "--sender-phone",
        "13800138000",
        "--sender-province",
        "浙江省",
        "--sender-city",
        "杭州市",
        "--sender-district",
        "余杭区",
        "--sender-address",
        "1号",
    )
    assert code == 0, err
    code, out, err = run(
        capsys,
        "--json",
        "waybill",
        "allocate",
        "--account",
        "顺丰手工",
        "--orders",
        *numbers,
        "--number",
        f"{numbers[0]}=SF1234567890123",
    )
    assert code == 1  # the second order has no number
    outcomes = json.loads(out)["outcomes"]
    assert outcomes[0]["number"] == "SF1234567890123" and outcomes[1]["outcome"] == "failed"
    code, _, err = run(
        capsys,
        "waybill",
        "allocate",
        "--account",
        "顺丰手工",
        "--orders",
        numbers[1],
        "--number",
        "nonsense",
    )
    assert code == 1 and "ORDER=TRACKING" in err
    code, _, err = run(
        capsys, "waybill", "allocate", "--account", "无此账号", "--orders", numbers[1]
    )
    assert code == 1 and "no carrier account named" in err
