"""`orderhub ship confirm|status|retry|mark-shipped-outside|drain` through the real
command line against the sandbox, with --json, as a user, and with bad input (one line on
stderr, exit 1, never a traceback)."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from tests.conftest import TEST_KEY


@pytest.fixture
def cli(rig, monkeypatch, settings, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    monkeypatch.setenv("ORDERHUB_SHIPBACK_RETRY_BASE_SECONDS", "0")
    for key, value in rig.app.settings.platform_settings("pinduoduo").items():
        monkeypatch.setenv(f"ORDERHUB_PLATFORMS__PINDUODUO__{key.upper()}", str(value))
    return rig


def run(capsys, *argv: str) -> tuple[int, object, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, (json.loads(out) if out.strip() and "--json" in argv else out), err


def test_confirm_drain_and_steer_from_the_command_line(cli, capsys) -> None:
    numbers = cli.ready(3)
    first, second, third = numbers
    orders = cli.numbers_of([first, second, third])

    code, data, err = run(capsys, "ship", "confirm", str(first), str(second), "--json")
    assert code == 0, err
    assert (data["confirmed"], data["outbox_rows"]) == ([first, second], 2)
    code, out, err = run(capsys, "ship", "confirm", "--waybill", numbers[third])
    assert code == 0 and "1 package(s) shipped, 1 confirmation(s) queued" in out, err

    code, data, err = run(capsys, "ship", "status", "--json")
    assert code == 0 and data["counts"]["pending"] == 3, err

    cli.sandbox.refund(orders[1], 4)  # refunded between confirm and send
    code, data, err = run(capsys, "ship", "drain", "--json")
    assert code == 0, err
    assert (data["sent"], data["held"]) == (2, 1)

    code, data, err = run(capsys, "ship", "status", "--state", "held", "--json")
    assert [r["order"] for r in data["rows"]] == [orders[1]]
    assert data["rows"][0]["last_error_class"] == "refund"

    code, out, err = run(capsys, "ship", "retry", orders[1])
    assert code == 1 and "release it first" in out
    code, data, err = run(
        capsys, "ship", "mark-shipped-outside", orders[1], "--note", "线下发出", "--json"
    )
    assert code == 0 and data["changed"] == [orders[1]], err
    code, out, err = run(capsys, "ship", "status")
    assert code == 0 and "done 2" in out and "shipped_outside 1" in out


def test_confirm_what_a_desk_filter_selects(cli, capsys) -> None:
    numbers = cli.ready(2)
    first, second = numbers
    orders = cli.numbers_of([first, second])
    code, data, err = run(
        capsys, "ship", "confirm", "--filter", f"order:{orders[0]}", "--order", orders[1], "--json"
    )
    assert code == 0, err
    assert (sorted(data["confirmed"]), data["unpacked"]) == (sorted([first, second]), [])
    code, _, err = run(capsys, "ship", "confirm", "--filter", "order:NOPE-1")
    assert code == 1 and "no order matches 'order:NOPE-1'" in err


def test_bad_input_and_missing_permission_are_one_line(cli, capsys) -> None:
    (package,) = cli.ready(1)
    code, _, err = run(capsys, "ship", "confirm", "999999")
    assert code == 1 and "no package with id 999999" in err
    code, _, err = run(capsys, "ship", "status", "--state", "lost")
    assert code == 1 and "state must be one of" in err
    code, _, err = run(capsys, "ship", "retry", "NOPE-1")
    assert code == 1 and "no shipment confirmation for order NOPE-1" in err
    cli.org.staff("viewer", "read_only")
    code, _, err = run(capsys, "ship", "confirm", str(package), "--as", "viewer")
    assert code == 1 and "lacks permission ship.confirm" in err
    code, _, err = run(capsys, "ship", "drain", "--as", "viewer")
    assert code == 1 and "lacks permission ship.confirm" in err
    code, out, err = run(capsys, "ship", "confirm", "--all", "printed")
    assert code == 0 and "0 package(s) shipped" in out, err
    code, _, err = run(capsys, "ship", "confirm", str(package), "--all", "verified")
    assert code == 1 and err.strip() == "orderhub: error: name packages or use --all, not both"


def test_a_drain_on_the_command_line_shows_its_progress_on_stderr(cli, capsys) -> None:
    (package,) = cli.ready(1)
    code, _, err = run(capsys, "ship", "confirm", str(package))
    assert code == 0, err
    code, out, err = run(capsys, "ship", "drain")
    assert code == 0, err
    assert "ship-back" in err and "1/1" in err  # the plain line: not a terminal
    assert "ship-back" not in out
