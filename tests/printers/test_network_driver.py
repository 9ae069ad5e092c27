"""The `network` driver against a real TCP listener on 127.0.0.1 (tests/printers/doubles)."""

from __future__ import annotations

import pytest

from core.contracts.printer import PrinterState
from core.errors import ConfigurationError, ExternalError, ValidationError
from plugins.printers.network import NetworkDriver
from tests.printers.doubles.tcp_printer import LoopbackPrinter, refused_port

LABEL = b'SIZE 76 mm,130 mm\r\nCLS\r\nTEXT 10,10,"3",0,1,1,"YT1234567890123"\r\nPRINT 1,1\r\n'
ZPL_READY = (
    b"\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n"
    b"\x02001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n"
    b"\x021234,0\x03\r\n"
)


@pytest.fixture
def printer() -> LoopbackPrinter:
    with LoopbackPrinter() as listener:
        yield listener


def driver_for(listener: LoopbackPrinter, **settings: object) -> NetworkDriver:
    return NetworkDriver({"host": "127.0.0.1", "port": listener.port, **settings})


def test_a_job_is_one_connection_and_the_bytes_arrive_exactly(printer: LoopbackPrinter) -> None:
    documents = [LABEL.replace(b"3", str(i).encode()) for i in range(20)]
    with driver_for(printer) as driver:
        for document in documents:
            driver.write(document)
    assert printer.wait_until(lambda: printer.total() == sum(map(len, documents)))
    assert [bytes(c) for c in printer.connections] == [b"".join(documents)]


def test_each_job_opens_its_own_connection(printer: LoopbackPrinter) -> None:
    for job in (b"job one", b"job two"):
        with driver_for(printer) as driver:
            driver.write(job)
    assert printer.wait_until(lambda: printer.total() == 14)
    assert [bytes(c) for c in printer.connections] == [b"job one", b"job two"]


def test_close_is_idempotent_and_safe_before_open(printer: LoopbackPrinter) -> None:
    driver = driver_for(printer)
    driver.close()
    driver.open()
    driver.open()  # opening an open driver does nothing
    driver.close()
    driver.close()
    assert printer.wait_until(lambda: len(printer.connections) == 1)


def test_binary_payloads_pass_through_untouched(printer: LoopbackPrinter) -> None:
    payload = bytes(range(256)) * 4000  # ~1 MB, every byte value
    with driver_for(printer) as driver:
        driver.write(payload)
    assert printer.wait_until(lambda: printer.total() == len(payload))
    assert printer.received == payload


def test_refused_connection_is_retryable_and_names_host_and_port() -> None:
    port = refused_port()
    driver = NetworkDriver({"host": "127.0.0.1", "port": port})
    with pytest.raises(ExternalError, match=f"127.0.0.1:{port}") as caught:
        driver.write(LABEL)
    assert caught.value.retryable is True
    assert caught.value.details["device"] == f"127.0.0.1:{port}"


def test_a_printer_that_never_accepts_times_out_on_connect() -> None:
    with LoopbackPrinter(stall_connect=True) as listener:
        driver = driver_for(listener, connect_timeout=0.2)
        with pytest.raises(ExternalError, match=r"did not accept a connection within 0\.2 s") as e:
            driver.open()
    assert e.value.retryable is True


def test_a_drop_in_the_middle_of_a_document_makes_it_uncertain() -> None:
    # Larger than loopback's socket buffers can hold (up to 32 MiB received + 4 MiB sent
    # here): with 4 MB, a listener slow to reset under load let every byte be "sent".
    first, second = b"A" * 1000, b"B" * 64_000_000
    with LoopbackPrinter(drop_at=1500) as listener:
        driver = driver_for(listener)
        driver.write(first)
        with pytest.raises(ExternalError, match=f"127.0.0.1:{listener.port}") as caught:
            driver.write(second)
        assert listener.wait_until(lambda: listener.dropped)
        assert listener.received == first + second[:500]
    error = caught.value
    assert error.retryable is False
    assert error.details["uncertain"] is True
    assert 0 < error.details["sent"] < len(second)
    assert "may or may not have printed" in error.message


def test_after_a_drop_the_next_write_reconnects() -> None:
    with LoopbackPrinter(drop_at=10) as listener:
        driver = driver_for(listener)
        with pytest.raises(ExternalError):
            driver.write(b"0123456789" + b"x" * 2_000_000)
        driver.write(b"again")  # a new connection: the job can resume
        driver.close()
        assert listener.wait_until(lambda: len(listener.connections) == 2)
        assert listener.wait_until(lambda: bytes(listener.connections[1]) == b"again")


def test_a_stalled_printer_times_out_the_write() -> None:
    with LoopbackPrinter(stall=True, receive_buffer=4096) as listener:
        driver = driver_for(listener)
        with pytest.raises(ExternalError, match=r"timed out after 0\.3 s") as caught:
            driver.write(b"x" * 20_000_000, timeout=0.3)
    assert caught.value.retryable is False  # bytes left: a retry could print twice
    assert caught.value.details["uncertain"] is True


@pytest.mark.parametrize(
    ("language", "query", "reply", "state"),
    [
        ("tspl", b"\x1b!?", b"\x00", PrinterState.READY),
        ("tspl", b"\x1b!?", b"\x04", PrinterState.PAPER_OUT),
        ("tspl", b"\x1b!?", b"\x01", PrinterState.HEAD_OPEN),
        ("tspl", b"\x1b!?", b"\x10", PrinterState.PAUSED),
        ("zpl", b"~HS", ZPL_READY, PrinterState.READY),
        ("escpos", b"\x10\x04\x04", b"\x16\x12\x72", PrinterState.PAPER_OUT),
        ("escpos", b"\x10\x04\x04", b"\x16\x12\x12", PrinterState.READY),
    ],
)
def test_status_queries_in_the_printers_language(
    language: str, query: bytes, reply: bytes, state: PrinterState
) -> None:
    with LoopbackPrinter(status_replies={query: reply}) as listener:
        status = driver_for(listener, language=language).status()
    assert status.state is state, status.message
    assert listener.queries == [query]


def test_zpl_paper_out_and_pause_are_read_from_the_host_status() -> None:
    paper_out = ZPL_READY.replace(b"\x02030,0,0,", b"\x02030,1,1,")
    with LoopbackPrinter(status_replies={b"~HS": paper_out}) as listener:
        status = driver_for(listener, language="zpl").status()
    assert status.state is PrinterState.PAPER_OUT
    assert "paper out" in status.message and "paused" in status.message


def test_a_silent_zebra_is_unknown_with_the_reason_it_may_be_silent() -> None:
    with LoopbackPrinter(status_replies={b"~HS": b""}) as listener:
        status = driver_for(listener, language="zpl").status(timeout=0.2)
    assert status.state is PrinterState.UNKNOWN
    assert f"127.0.0.1:{listener.port}" in status.message
    assert "head is open" in status.message


def test_status_of_an_unreachable_printer_is_offline() -> None:
    port = refused_port()
    status = NetworkDriver({"host": "127.0.0.1", "port": port, "language": "tspl"}).status()
    assert status.state is PrinterState.OFFLINE
    assert f"127.0.0.1:{port}" in status.message


def test_status_without_a_language_says_what_to_configure(printer: LoopbackPrinter) -> None:
    status = driver_for(printer).status()
    assert status.state is PrinterState.UNKNOWN
    assert "language" in status.message
    assert printer.connections == []  # nothing was sent


def test_status_during_a_job_uses_the_jobs_connection() -> None:
    with LoopbackPrinter(status_replies={b"\x1b!?": b"\x20"}) as listener:
        with driver_for(listener, language="tspl") as driver:
            driver.write(b"label one")
            status = driver.status()
            driver.write(b"label two")
        assert listener.wait_until(lambda: listener.total() == 21)
        assert [bytes(c) for c in listener.connections] == [b"label one\x1b!?label two"]
    assert status.state is PrinterState.BUSY


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "'host' is required"),
        ({"host": "p", "port": "nine"}, "'port' must be an integer 1-65535"),
        ({"host": "p", "port": 70000}, "'port' must be an integer 1-65535"),
        ({"host": "p", "language": "pcl"}, "'language' must be one of tspl, zpl, escpos"),
        ({"host": "p", "write_timeout": 0}, "'write_timeout' must be a positive number"),
        ({"host": "p", "connect_timeout": "inf"}, "'connect_timeout' must be a positive"),
    ],
)
def test_bad_settings_are_named(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        NetworkDriver(settings)


def test_timeouts_must_be_finite(printer: LoopbackPrinter) -> None:
    driver = driver_for(printer)
    with pytest.raises(ValidationError, match="positive and finite"):
        driver.write(b"x", timeout=float("inf"))
    with pytest.raises(ValidationError, match="positive and finite"):
        driver.open(timeout=0)


def test_port_defaults_to_9100_and_ipv6_hosts_are_bracketed() -> None:
    assert NetworkDriver({"host": "10.0.0.9"}).where == "10.0.0.9:9100"
    assert NetworkDriver({"host": "::1", "port": "9101"}).where == "[::1]:9101"
