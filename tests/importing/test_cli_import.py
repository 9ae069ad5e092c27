"""`orderhub import` end to end through the real command line entry point (both backends)."""

from __future__ import annotations

import io
import json

import pytest

from cli.main import main
from tests.conftest import TEST_KEY
from tests.importing.builders import (
    FIXTURE,
    FIXTURE_ORDERS,
    csv_bytes,
    fixture_text,
    row,
    unterminated_quote_file,
)
from tests.importing.conftest import import_events, order_count, stored_orders


@pytest.fixture
def cli_env(monkeypatch, settings, tmp_path, acme):
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    return acme


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_dry_run_then_real_then_again(cli_env, capsys, app, shop) -> None:
    code, out, err = run(capsys, "import", str(FIXTURE), "--shop", "杯子旗舰店", "--dry-run")
    assert code == 0, err
    assert "dry_run: 8 rows, 8 would be new" in out and "nothing was written" in out
    assert "warning: row 2: receiver masked" in out
    assert order_count(app) == 0

    code, out, err = run(capsys, "--json", "import", str(FIXTURE), "--shop", str(shop))
    assert code == 0, err
    report = json.loads(out)
    assert (report["outcome"], report["new"], report["masked"]) == ("imported", FIXTURE_ORDERS, 7)
    assert report["issues"][0] == {
        "row": 2,
        "column": "",
        "severity": "warning",
        "message": report["issues"][0]["message"],
    }

    code, out, _ = run(capsys, "import", str(FIXTURE), "--shop", "9001", "--format", "pdd-export")
    assert code == 0 and f"{FIXTURE_ORDERS} unchanged" in out
    assert [e.after["outcome"] for e in import_events(app, cli_env.org_id)] == ["imported"] * 2


def test_import_reports_progress_on_stderr_but_not_with_json(cli_env, capsys, shop) -> None:
    code, out, err = run(capsys, "import", str(FIXTURE), "--shop", str(shop))
    assert code == 0, err
    (last,) = [line for line in err.splitlines() if line.startswith(f"{FIXTURE.name}: ")]
    assert f": {FIXTURE_ORDERS} orders in " in last
    assert last.endswith(f"; {FIXTURE_ORDERS} new, 0 updated, 0 unchanged"), last
    assert f"{FIXTURE.name} (pdd-export): " in out  # the summary stays on stdout
    code, out, err = run(capsys, "--json", "import", str(FIXTURE), "--shop", str(shop))
    assert code == 0 and err == "" and json.loads(out)["unchanged"] == FIXTURE_ORDERS


def test_rejected_file_exits_1_and_partial_imports_the_rest(cli_env, capsys, app, shop, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "订单.csv"
    path.write_bytes(csv_bytes([row("231125-1"), row("231125-2", **{"商品数量(件)": "两件"})]))
    code, out, _ = run(capsys, "import", str(path), "--shop", str(shop))
    assert code == 1
    assert "error: row 3, 商品数量(件): '两件' is not a whole number" in out
    assert "nothing imported: 1 rows have errors" in out and order_count(app) == 0

    code, out, _ = run(capsys, "import", str(path), "--shop", str(shop), "--dry-run")
    assert code == 1 and "the import would be rejected" in out and order_count(app) == 0
    code, out, _ = run(capsys, "import", str(path), "--shop", str(shop), "--partial", "--dry-run")
    assert code == 3 and "1 rows with errors would be left out" in out and order_count(app) == 0
    code, out, _ = run(capsys, "import", str(path), "--shop", str(shop), "--partial")
    assert code == 3 and "1 new" in out  # imported, but not every row: not 0
    assert "error: row 3, 商品数量(件)" in out and "1 rows with errors were left out" in out
    assert set(stored_orders(app, shop)) == {"231125-1"}
    path.write_bytes(csv_bytes([row("231125-1"), row("231125-2")]))
    code, out, _ = run(capsys, "import", str(path), "--shop", str(shop), "--partial")
    assert code == 0 and "1 new, 0 updated, 1 unchanged" in out and "left out" not in out


def test_an_unterminated_quote_is_an_error_even_with_partial(cli_env, capsys, app, shop, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "订单.csv"
    path.write_bytes(unterminated_quote_file())
    code, out, err = run(capsys, "import", str(path), "--shop", str(shop), "--partial")
    assert code == 1 and out == "" and "Traceback" not in err
    opened = "unterminated quote opened at row 3, column 订单状态"
    assert err.startswith(f"orderhub: error: 订单.csv: {opened}")
    assert order_count(app) == 0


def test_gbk_from_stdin(cli_env, capsys, app, shop, monkeypatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(fixture_text().encode("gbk")))
    monkeypatch.setattr("sys.stdin", stdin)
    code, _, err = run(capsys, "import", "-", "--shop", str(shop))
    assert code == 0, err
    assert order_count(app, shop) == FIXTURE_ORDERS


def test_usage_and_file_errors_are_one_line(cli_env, capsys, app, shop, other_shop, tmp_path):  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "import", "--org", "acme", str(FIXTURE), "--shop", "no-such-shop")
    assert code == 1 and "no shop 'no-such-shop' in this org; shops: " in err
    code, _, err = run(capsys, "import", "--org", "acme", str(FIXTURE), "--shop", str(other_shop))
    assert code == 1 and "no shop" in err  # globex's shop is invisible to acme
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Bestellnummer,Empfänger\r\n1,Jürgen\r\n".encode("latin-1"))
    code, _, err = run(capsys, "import", "--org", "acme", str(latin), "--shop", str(shop))
    assert code == 1 and "neither UTF-8 nor GBK" in err and "Traceback" not in err
    code, _, err = run(
        capsys, "import", "--org", "acme", str(FIXTURE), "--shop", str(shop), "--format", "mapped"
    )
    assert code == 1 and "needs a column mapping" in err
    assert order_count(app) == 0
