"""`orderhub print` to a CUPS raw queue (the `spooler` driver) pointed at a loopback
raw-9100 printer, on both backends: every label arrives once, byte for byte as rendered.
Runs in `.ci/run`, which installs and starts CUPS (locally it skips, saying why)."""

from __future__ import annotations

import json

import pytest

from tests.printers.cups import ensure_scheduler, raw_queue
from tests.printing import streams
from tests.printing.rig import FIXTURES, TEXT_TEMPLATE
from tests.printing.test_cli import cli, ok, run, synced_with_account  # noqa: F401


@pytest.fixture(scope="session")
def cups() -> None:
    ensure_scheduler()


def test_a_batch_through_a_cups_raw_queue(cups, cli, capsys, listener) -> None:  # noqa: F811
    synced_with_account(cli, capsys)
    with raw_queue(listener.port) as queue:
        ok(
            capsys,
            "printers",
            "add",
            "cups-1",
            "--driver",
            "spooler",
            "--set",
            f"queue={queue}",
            "--set",
            "method=lp",
            "--cjk-font",
            "TSS24.BF2",
            "--render",
            "native_barcode=true",
        )
        ok(capsys, "print", "templates", "--import", str(FIXTURES / f"{TEXT_TEMPLATE}.json"))
        code, out, err = run(
            capsys,
            "--json",
            "print",
            "--filter",
            "limit=6",
            "--printer",
            "cups-1",
            "--template",
            TEXT_TEMPLATE,
        )
        assert code == 0, err
        result = json.loads(out)
        assert result["status"] == "done" and result["done"] > 0
        received = streams.settle(listener, result["done"], timeout=60)
    assert sum(received.values()) == result["done"] and set(received.values()) == {1}
    history = ok(capsys, "print", "history", "--limit", "50")
    assert {h["waybill"] for h in history} == set(received)
