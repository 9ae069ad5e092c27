"""The `spooler` driver against a real CUPS: a raw queue pointed at a loopback printer.

The bytes the listener receives must be exactly the bytes written: CUPS must not filter
them. Runs in `.ci/run`, which installs and starts CUPS.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from core.contracts.printer import PrinterState
from core.errors import ConfigurationError, DeviceNotFound, ExternalError
from plugins.printers.spooler import SpoolerDriver
from plugins.printers.spooler.cups_lp import parse_lpstat
from plugins.printers.spooler.cups_pycups import pycups_available
from tests.printers.cups import ensure_scheduler, raw_queue, run
from tests.printers.doubles.tcp_printer import LoopbackPrinter

# TSPL plus every byte value: any filtering or re-encoding by CUPS would show.
LABEL = b"SIZE 76 mm,130 mm\r\nCLS\r\nBITMAP 0,0,32,8,1," + bytes(range(256)) + b"\r\nPRINT 1,1\r\n"


@pytest.fixture(scope="session")
def cups() -> None:
    ensure_scheduler()


@pytest.fixture
def printer() -> Iterator[LoopbackPrinter]:
    with LoopbackPrinter() as listener:
        yield listener


@pytest.fixture
def queue(cups: None, printer: LoopbackPrinter) -> Iterator[str]:
    with raw_queue(printer.port) as name:
        yield name


@pytest.mark.parametrize("method", ["lp", "pycups"])
def test_a_job_reaches_the_printer_byte_for_byte(
    method: str, queue: str, printer: LoopbackPrinter
) -> None:
    if method == "pycups" and not pycups_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI installs the 'cups' extra (.ci/run), but pycups does not import")
        pytest.skip("pycups (the optional 'cups' extra) is not installed")
    with SpoolerDriver({"queue": queue, "method": method}) as driver:
        driver.write(LABEL)
    assert printer.wait_until(lambda: printer.received == LABEL, timeout=30), printer.received
    assert len(driver.job_ids) == 1 and driver.job_ids[0].startswith(f"{queue}-")


def test_jobs_arrive_in_order_one_connection_each(queue: str, printer: LoopbackPrinter) -> None:
    documents = [LABEL.replace(b"PRINT 1", f"PRINT {n}".encode()) for n in range(1, 4)]
    with SpoolerDriver({"queue": queue}) as driver:
        for document in documents:
            driver.write(document)
    assert printer.wait_until(
        lambda: len(printer.connections) == 3 and printer.total() == sum(map(len, documents)),
        timeout=30,
    )
    assert [bytes(c) for c in printer.connections] == documents
    assert len(set(driver.job_ids)) == 3


def test_an_unknown_queue_is_device_not_found_naming_it(queue: str) -> None:
    with pytest.raises(
        DeviceNotFound, match=r"no queue 'no-such-queue' in CUPS on this machine"
    ) as e:
        SpoolerDriver({"queue": "no-such-queue"}).write(LABEL)
    assert queue in e.value.message  # the queues that do exist are listed


def test_a_queue_that_rejects_jobs_is_a_retryable_error(queue: str) -> None:
    run("cupsreject", queue)
    driver = SpoolerDriver({"queue": queue, "method": "lp"})
    assert driver.status().state is PrinterState.PAUSED
    with pytest.raises(ExternalError, match=f"refused the job for queue '{queue}'") as caught:
        driver.write(LABEL)
    assert caught.value.retryable is True
    assert driver.job_ids == []


def test_status_follows_the_queue(queue: str) -> None:
    driver = SpoolerDriver({"queue": queue})
    idle = driver.status()
    assert idle.state is PrinterState.READY and "idle" in idle.message
    run("cupsdisable", queue)
    assert driver.status().state is PrinterState.PAUSED
    run("cupsenable", queue)
    assert driver.status().state is PrinterState.READY
    missing = SpoolerDriver({"queue": "no-such-queue"}).status()
    assert missing.state is PrinterState.OFFLINE


def test_discover_lists_the_queue_with_its_device(queue: str, printer: LoopbackPrinter) -> None:
    found = {info.name: info for info in SpoolerDriver().discover()}
    assert dict(found[queue].settings) == {"queue": queue}
    assert f"socket://127.0.0.1:{printer.port}" in found[queue].detail


def test_a_scheduler_that_is_not_there_is_a_retryable_error() -> None:
    driver = SpoolerDriver({"queue": "labels", "server": "127.0.0.1:1", "method": "lp"})
    with pytest.raises(ExternalError, match=r"CUPS at 127\.0\.0\.1:1 is not running") as caught:
        driver.write(LABEL, timeout=10)
    assert caught.value.retryable is True


def test_missing_cups_tools_are_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ConfigurationError, match="'lpstat' is not installed"):
        SpoolerDriver({"queue": "labels", "method": "lp"}).open()


def test_printing_needs_a_queue() -> None:
    with pytest.raises(ConfigurationError, match="'queue' is required"):
        SpoolerDriver({"method": "lp"}).open()


@pytest.mark.parametrize(
    ("text", "state", "words"),
    [
        (
            "printer labels is idle.  enabled since Fri Nov 27 01:44:18 2026\n"
            "labels accepting requests since Fri Nov 27 01:44:18 2026\n",
            PrinterState.READY,
            "queue 'labels' is idle",
        ),
        (
            "printer labels now printing labels-12.  enabled since Fri Nov 27 2026\n"
            "\tConnecting to printer.\n"
            "labels accepting requests since Fri Nov 27 2026\n",
            PrinterState.BUSY,
            "is printing: Connecting to printer.",
        ),
        (
            "printer labels disabled since Fri Nov 27 01:50:47 2026 -\n\tPaused\n"
            "labels accepting requests since Fri Nov 27 01:50:47 2026\n",
            PrinterState.PAUSED,
            "is disabled: Paused",
        ),
        (
            "printer labels is idle.  enabled since Fri Nov 27 2026\n\tRejecting Jobs\n"
            "labels not accepting requests since Fri Nov 27 2026 -\n\tRejecting Jobs\n",
            PrinterState.PAUSED,
            "is not accepting jobs: Rejecting Jobs",
        ),
    ],
)
def test_lpstat_output_is_read(text: str, state: PrinterState, words: str) -> None:
    status = parse_lpstat("labels", text)
    assert status.state is state
    assert words in status.message
