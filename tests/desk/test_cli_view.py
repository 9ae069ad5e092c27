"""`orderhub orders list|count|show|filters` and `print --filter` in the new language,
through `cli.main.main` on the tests' database."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from core.app import App
from tests.conftest import TEST_KEY, OrgFixture
from tests.desk.world import BASE, OrderSpec, Stored, store_world


@pytest.fixture
def cli(monkeypatch, settings, tmp_path, app: App, acme: OrgFixture) -> list[Stored]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    acme.staff("alice", "打单员")
    specs = [
        OrderSpec(hub="audited", paid=BASE, tags=frozenset({"紧急"}), flag="red"),
        OrderSpec(hub="audited", paid=BASE, place=2),
        OrderSpec(hub="pending", on_hold=True, paid=BASE),
        OrderSpec(hub="pending", reasons=("address_invalid",)),
    ]
    return store_world(app, acme.org_id, specs).orders


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_a_filter_a_tab_and_pages(cli: list[Stored], capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "orders", "list", "status:audited -flag:red", "--json")
    data = json.loads(out)
    assert run(capsys, "orders", "list", "--json", "--", "status:audited", "-flag:red")[1] == out
    assert code == 0 and [r["order_no"] for r in data["rows"]] == [cli[1].number]
    assert data["query"] == "status:audited -flag:red"
    assert data["rows"][0]["receiver_phone"] == "138****5678"
    code, out, _ = run(capsys, "orders", "list", "on-hold")
    assert code == 0 and cli[2].number in out and "挂起" in out and "13812345678" not in out
    code, out, _ = run(capsys, "orders", "list", "--limit", "1", "--json")
    first = json.loads(out)
    code, out, _ = run(capsys, "orders", "list", "--limit", "3", "--after", first["next_cursor"])
    assert code == 0 and cli[0].number not in out and cli[3].number in out


def test_a_bad_filter_is_one_line_naming_the_token(cli, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, "orders", "list", "status:audited", "provnce:浙江省")
    assert code == 1 and out == ""
    assert err.strip() == (
        "orderhub: error: filter: unknown key 'provnce' at column 16; did you mean 'province'?"
    )


def test_count_and_show(cli: list[Stored], capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "orders", "count", "--json")
    counts = json.loads(out)
    assert code == 0 and (counts["audited"], counts["on_hold"], counts["exception"]) == (2, 1, 1)
    assert counts["total"] == 4
    code, out, _ = run(capsys, "orders", "show", cli[0].number)
    assert code == 0 and "王**" in out and "紧急" in out and "保温杯" in out
    code, out, err = run(capsys, "orders", "show", cli[0].number, "--reveal", "--as", "alice")
    assert code == 1 and "pii.view" in err
    code, out, _ = run(capsys, "orders", "show", cli[0].number, "--reveal", "--json")
    assert json.loads(out)["receiver"]["name"] == "王小明"
    code, out, _ = run(capsys, "orders", "show", cli[0].number)
    assert "order.reveal" in out


def test_saved_filters_from_the_command_line(cli: list[Stored], capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(
        capsys, "orders", "filters", "save", "急单", "status:audited", "tag:紧急", "--as", "alice"
    )
    assert code == 0 and "status:audited tag:紧急" in out
    code, out, _ = run(capsys, "orders", "list", "--saved", "急单", "--as", "alice", "--json")
    assert [r["order_no"] for r in json.loads(out)["rows"]] == [cli[0].number]
    code, out, _ = run(capsys, "orders", "filters", "share", "急单", "--as", "alice")
    code, out, _ = run(capsys, "orders", "filters", "list", "--json")
    assert [(f["name"], f["owner"], f["shared"]) for f in json.loads(out)] == [
        ("急单", "alice", True)
    ]
    code, out, _ = run(capsys, "orders", "filters", "rename", "急单", "紧急", "--as", "alice")
    code, _, _ = run(capsys, "orders", "filters", "delete", "紧急", "--as", "alice")
    code, out, _ = run(capsys, "orders", "filters", "list", "--as", "alice", "--json")
    assert code == 0 and json.loads(out) == []


def test_print_filter_speaks_the_new_language_and_the_old(cli: list[Stored], capsys) -> None:  # type: ignore[no-untyped-def]
    # No printer: the selection runs first and finds the orders, then the printer is refused.
    for text in ("status:audited province:广东省", "status=audited province=广东省 limit=5"):
        code, _, err = run(capsys, "print", "--filter", text, "--printer", "nowhere")
        assert code == 1 and "no order matches" not in err, err
    code, _, err = run(capsys, "print", "--filter", "status:shipped", "--printer", "nowhere")
    assert code == 1 and "no order matches" in err
