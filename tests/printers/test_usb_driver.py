"""The `usb` driver through pyusb's real `usb.core`, over a backend double (the OS edge)."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.contracts.printer import PrinterState
from core.errors import ConfigurationError, DeviceNotFound, ExternalError
from plugins.printers.usb import UsbDriver
from plugins.printers.usb.ieee1284 import device_id_languages, parse_device_id
from tests.printers.doubles.usb_backend import (
    FakeEndpoint,
    FakeInterface,
    FakeUsbBackend,
    FakeUsbDevice,
    printer,
)

TSPL = b'SIZE 76 mm,130 mm\r\nCLS\r\nTEXT 8,8,"3",0,1,1,"YT1234567890123"\r\nPRINT 1,1\r\n'


def gprinter(**kwargs: object) -> FakeUsbDevice:
    """佳博 GP-3120TU: reuses the Philips vendor id, printer interface 0, OUT 0x01."""
    defaults: dict[str, object] = {
        "manufacturer": "Gprinter",
        "product_name": "GP-3120TU",
        "serial": "GP0001",
        "device_id": "MFG:Gprinter;MDL:GP-3120TU;CMD:TSPL,ZPL;CLS:PRINTER;",
        "address": 5,
    }
    return printer(0x0471, 0x0055, **{**defaults, **kwargs})  # type: ignore[arg-type]


def xprinter() -> FakeUsbDevice:
    """芯烨 XP-T58H: says CDC at device level; printer interface 1 behind a CDC one, OUT 0x02."""
    cdc = FakeInterface(0, 2, [FakeEndpoint(0x83, kind=3)])
    return printer(
        0x0483,
        0x5743,
        out=0x02,
        inp=0x81,
        interface=1,
        extra_interfaces=(cdc,),
        device_class=2,
        manufacturer="Xprinter",
        product_name="XP-T58H",
        device_id="MFG:Xprinter;MDL:XP-T58H;CMD:ESC/POS;",
        address=7,
    )


def keyboard() -> FakeUsbDevice:
    return FakeUsbDevice(0x046D, 0xC31C, [FakeInterface(0, 3, [FakeEndpoint(0x81, kind=3)])])


def driver(backend: FakeUsbBackend, **settings: object) -> UsbDriver:
    return UsbDriver(settings, backend=backend)


def test_discover_lists_printer_class_devices_of_any_vendor() -> None:
    free = gprinter(kernel_driver=False, configured=1, device_id="MFG:GP;MDL:3120;CMD:TSPL,ZPL;")
    held = xprinter()  # the kernel's usblp holds it: its device ID is not asked for
    backend = FakeUsbBackend(keyboard(), free, held)
    found = driver(backend).discover()
    assert [p.name for p in found] == ["GP 3120", "Xprinter XP-T58H"]
    gp, xp = found
    assert dict(gp.settings) == {"usb_id": "0471:0055", "serial": "GP0001"}
    assert gp.languages == ("tspl", "zpl")  # from the IEEE 1284 device ID
    assert gp.detail == "USB printer 0471:0055 (bus 1 address 5), serial GP0001"
    assert dict(xp.settings) == {"usb_id": "0483:5743", "bus": 1, "address": 7}
    assert xp.languages == ()
    assert held.kernel_driver is True and "detach 1" not in held.events
    assert all(not d.claimed for d in backend.devices)  # discovery leaves nothing claimed


def test_discovered_settings_open_that_printer() -> None:
    backend = FakeUsbBackend(gprinter(), gprinter(serial="GP0002", address=6))
    second = driver(backend).discover()[1]
    with UsbDriver(second.settings, backend=backend) as chosen:
        chosen.write(TSPL)
    assert backend.devices[1].written == TSPL and backend.devices[0].written == b""


def test_write_claims_the_printer_interface_and_uses_its_out_endpoint() -> None:
    device = xprinter()
    with driver(FakeUsbBackend(keyboard(), device), usb_id="0483:5743") as usb_printer:
        usb_printer.write(b"\x1b@hello\n")
        usb_printer.write(b"\x1dV\x00")
        assert device.claimed == {1}
    assert bytes(device.written) == b"\x1b@hello\n\x1dV\x00"
    assert device.events == [
        "open",
        "set_configuration 1",
        "detach 1",
        "claim 1",
        "release 1",
        "attach 1",  # the kernel's usblp gets its printer back
        "close",
    ]
    assert device.kernel_driver is True and device.claimed == set()


def test_a_configured_printer_without_kernel_driver_is_left_as_it_is() -> None:
    device = gprinter(kernel_driver=False, configured=1)
    with driver(FakeUsbBackend(device)) as usb_printer:  # the only printer: no criteria
        usb_printer.write(TSPL)
    assert device.events == ["open", "claim 0", "release 0", "close"]


def test_large_documents_go_in_chunks_and_arrive_whole() -> None:
    device = gprinter()
    raster = bytes(range(256)) * 600  # 150 KiB, like a 100×150 mm raster
    with driver(FakeUsbBackend(device), serial="GP0001") as usb_printer:
        usb_printer.write(raster)
    assert bytes(device.written) == raster


def test_select_by_bus_and_address() -> None:
    backend = FakeUsbBackend(gprinter(serial=""), gprinter(serial="", address=9))
    with driver(backend, usb_id="0471:0055", bus=1, address=9) as usb_printer:
        usb_printer.write(TSPL)
    assert backend.devices[1].written == TSPL


def test_nothing_matching_names_the_criteria_and_what_is_there() -> None:
    backend = FakeUsbBackend(keyboard(), gprinter())
    with pytest.raises(DeviceNotFound) as caught:
        driver(backend, usb_id="6868:0500", serial="X1").write(TSPL)
    assert caught.value.message == (
        "no USB printer (interface class 7) with usb_id 6868:0500, serial 'X1' is attached; "
        "USB printers present: USB printer 0471:0055 (bus 1 address 5)"
    )


def test_no_printer_at_all() -> None:
    with pytest.raises(DeviceNotFound, match="USB printers present: none"):
        driver(FakeUsbBackend(keyboard())).open()


def test_ambiguous_criteria_ask_for_more() -> None:
    backend = FakeUsbBackend(gprinter(serial="0002A0000000"), gprinter(serial="0002A0000000"))
    with pytest.raises(ConfigurationError, match=r"2 devices match .* add 'serial' or 'bus'"):
        driver(backend, usb_id="0471:0055").open()


def test_a_failure_mid_document_is_uncertain_and_releases_the_printer() -> None:
    device = gprinter(fail_after=20_000)
    usb_printer = driver(FakeUsbBackend(device))
    with pytest.raises(ExternalError, match=r"0471:0055 .* failed after 16384 of 50000") as e:
        usb_printer.write(b"x" * 50_000)
    assert e.value.retryable is False
    assert e.value.details["uncertain"] is True
    assert device.kernel_driver is True and device.claimed == set()
    usb_printer.close()  # already closed: nothing happens


def test_a_printer_gone_before_the_first_byte_is_retryable() -> None:
    device = gprinter(fail_after=0, fail_errno=errno.ENODEV)
    with pytest.raises(ExternalError, match="nothing was sent") as caught:
        driver(FakeUsbBackend(device)).write(TSPL)
    assert caught.value.retryable is True


def test_a_stalled_printer_times_out() -> None:
    device = gprinter(stall=True)
    with pytest.raises(ExternalError, match="timed out") as caught:
        driver(FakeUsbBackend(device)).write(TSPL, timeout=0.5)
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("reply", "state"),
    [(b"\x00", PrinterState.READY), (b"\x04", PrinterState.PAPER_OUT)],
)
def test_status_in_the_printers_language_over_bulk_in(reply: bytes, state: PrinterState) -> None:
    device = gprinter(status_replies={b"\x1b!?": reply})
    status = driver(FakeUsbBackend(device), language="tspl").status()
    assert status.state is state
    assert bytes(device.written) == b"\x1b!?"
    assert device.claimed == set()  # status opened and closed on its own


def test_silence_on_bulk_in_is_unknown() -> None:
    status = driver(FakeUsbBackend(gprinter()), language="zpl").status(timeout=0.2)
    assert status.state is PrinterState.UNKNOWN
    assert "0471:0055" in status.message and "head is open" in status.message


@pytest.mark.parametrize(
    ("port", "state"),
    [
        (0x18, PrinterState.READY),
        (0x38, PrinterState.PAPER_OUT),
        (0x10, PrinterState.ERROR),
        (0x08, PrinterState.OFFLINE),
    ],
)
def test_port_status_without_a_language_or_a_bulk_in(port: int, state: PrinterState) -> None:
    one_way = printer(0x20D1, 0x7007, inp=None, port_status=port)
    assert driver(FakeUsbBackend(one_way), language="tspl").status().state is state
    assert one_way.written == b""


def test_status_of_a_missing_printer_is_offline() -> None:
    status = driver(FakeUsbBackend(keyboard()), usb_id="0471:0055").status()
    assert status.state is PrinterState.OFFLINE
    assert "usb_id 0471:0055" in status.message


def test_status_during_a_job_keeps_the_interface() -> None:
    device = gprinter(status_replies={b"\x1b!?": b"\x20"})
    with driver(FakeUsbBackend(device), language="tspl") as usb_printer:
        usb_printer.write(TSPL)
        assert usb_printer.status().state is PrinterState.BUSY
        usb_printer.write(TSPL)
        assert device.claimed == {0}
    assert bytes(device.written) == TSPL + b"\x1b!?" + TSPL


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"usb_id": "gprinter"}, "'usb_id' must look like 0471:0055"),
        ({"usb_id": "10000:1"}, "'usb_id' must look like 0471:0055"),
        ({"bus": 1}, "'bus' and 'address' go together"),
        ({"address": 300}, "'address' must be an integer 1-127"),
        ({"language": "cpcl"}, "'language' must be one of"),
    ],
)
def test_bad_settings_are_named(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        UsbDriver(settings, backend=FakeUsbBackend())


def test_ieee1284_device_ids_are_parsed_leniently() -> None:
    raw = b"\x00\x3aMFG:Zebra;MDL:ZD421;COMMAND SET:ZPL, EPL ;CLS:PRINTER;trailing"
    fields = parse_device_id(raw)
    assert fields["MFG"] == "Zebra" and fields["COMMAND SET"] == "ZPL, EPL"
    assert device_id_languages(fields) == ("zpl",)
    assert parse_device_id(b"\x00") == {}
    assert device_id_languages({"CMD": "ESC/POS,TSPL2,PCL"}) == ("escpos", "tspl")


@given(st.binary(max_size=200))
def test_any_device_id_reply_parses_without_raising(raw: bytes) -> None:
    fields = parse_device_id(raw)
    assert all(isinstance(v, str) for v in fields.values())
    device_id_languages(fields)
