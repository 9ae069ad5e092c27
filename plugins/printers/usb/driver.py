"""`UsbDriver`: a USB printer through pyusb, found by what it is, not by who made it.

A printer is any device with an interface of class 7 (printer); many Chinese label printers
say "CDC" at device level, so the device class is not looked at, and vendor ids are reused
across brands, so there is no whitelist (printing.md §2). Print data goes to the interface's
bulk OUT endpoint, read from the descriptor (0x01, 0x02, 0x03 … differ by model); a bulk IN
endpoint, when present, carries status replies.

Which printer: `usb_id` ("0471:0055", hex), `serial`, and/or `bus` + `address`; every
setting given must match. With none given, the only USB printer attached is used.
Other settings: `language` (tspl | zpl | escpos: query status in that language over bulk
IN; otherwise the class's GET_PORT_STATUS is used), `open_timeout`, `write_timeout`,
`status_timeout` (seconds; pyusb takes milliseconds and gets them converted).

On Linux the kernel's `usblp` driver owns class-7 interfaces; `open` detaches it and `close`
gives it back. That needs root or a udev rule granting access to the device.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from contextlib import suppress
from typing import Any, ClassVar

from core.contracts.base import NO_SETTINGS, PluginServices
from core.contracts.printer import PrinterDriver, PrinterInfo, PrinterState, PrinterStatus
from core.errors import ConfigurationError, DeviceNotFound, ExternalError
from plugins.printers.common.settings import Deadline, SettingsReader, timeout_seconds
from plugins.printers.common.status_codes import (
    STATUS_QUERIES,
    decode_status,
    no_reply_status,
    reply_complete,
)
from plugins.printers.usb.devices import (
    bulk_endpoint,
    criteria_from,
    describe,
    is_usb_printer,
    printer_interface,
    pyusb,
    read_string,
)
from plugins.printers.usb.ieee1284 import (
    CLASS_IN_INTERFACE,
    GET_DEVICE_ID,
    GET_PORT_STATUS,
    device_id_languages,
    device_id_model,
    parse_device_id,
    port_status,
)

try:
    import usb.core
    import usb.util
except ImportError:  # pragma: no cover - the `usb` extra is not installed
    usb = None  # type: ignore[assignment]

CHUNK = 16 * 1024  # bytes per bulk transfer, so a failure says roughly how far it got


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class UsbDriver(PrinterDriver):
    """A USB printer-class device; `backend` (a `usb.backend.IBackend`) picks how pyusb
    reaches USB, by default libusb-1.0."""

    name = "usb"
    LANGUAGES: ClassVar[frozenset[str]] = frozenset({"tspl", "zpl", "escpos"})
    SUPPORTS_DISCOVERY = True
    SUPPORTS_STATUS = True

    def __init__(
        self,
        settings: Mapping[str, Any] = NO_SETTINGS,
        services: PluginServices | None = None,
        *,
        backend: Any = None,
    ) -> None:
        super().__init__(settings, services)
        read = SettingsReader("printer driver 'usb'", self.settings)
        self.criteria = criteria_from(read)
        self.language = read.choice("language", tuple(STATUS_QUERIES), None)
        self.open_timeout = read.seconds("open_timeout", self.OPEN_TIMEOUT)
        self.write_timeout = read.seconds("write_timeout", self.WRITE_TIMEOUT)
        self.status_timeout = read.seconds("status_timeout", self.STATUS_TIMEOUT)
        self.backend = backend
        self._device: Any = None
        self._interface: Any = None
        self._out: Any = None
        self._in: Any = None
        self._detached = False

    @property
    def where(self) -> str:
        return describe(self._device) if self._device is not None else self.criteria.describe()

    # ------------------------------------------------------------------ contract

    def discover(self, timeout: float | None = None) -> list[PrinterInfo]:
        """Every attached device with a printer-class interface, whatever its vendor."""
        seconds = timeout_seconds(timeout, self.open_timeout)
        devices = self._printers()
        serials = [read_string(d, d.iSerialNumber) for d in devices]
        found = []
        for device, serial in zip(devices, serials, strict=True):
            device.default_timeout = _ms(seconds)
            maker = read_string(device, device.iManufacturer) or ""
            product = read_string(device, device.iProduct) or ""
            fields = self._device_id(device)
            usb_id = f"{device.idVendor:04x}:{device.idProduct:04x}"
            settings: dict[str, Any] = {"usb_id": usb_id}
            if serial and serials.count(serial) == 1:
                settings["serial"] = serial
            else:  # no usable serial: the port it sits on has to do
                settings.update(bus=device.bus, address=device.address)
            model = device_id_model(fields) or " ".join(p for p in (maker, product) if p)
            found.append(
                PrinterInfo(
                    name=model or f"USB printer {usb_id}",
                    settings=settings,
                    model=model,
                    languages=device_id_languages(fields),
                    detail=describe(device) + (f", serial {serial}" if serial else ""),
                )
            )
            pyusb().util.dispose_resources(device)
        return found

    def open(self, timeout: float | None = None) -> None:
        """Find the printer, claim its printer interface (detaching usblp if it holds it)."""
        if self._device is not None:
            return
        seconds = timeout_seconds(timeout, self.open_timeout)
        devices = self._printers()
        matches = [d for d in devices if self.criteria.matches(d)]
        if not matches:
            present = ", ".join(describe(d) for d in devices) or "none"
            raise DeviceNotFound(
                f"no {self.criteria.describe()} is attached; USB printers present: {present}",
                criteria=self.criteria.describe(),
            )
        if len(matches) > 1:
            raise ConfigurationError(
                f"{len(matches)} devices match {self.criteria.describe()}: "
                + ", ".join(describe(d) for d in matches)
                + "; add 'serial' or 'bus' and 'address' to the printer's settings",
                setting="usb_id",
            )
        device = matches[0]
        device.default_timeout = _ms(seconds)
        try:
            self._claim(device)
        except usb.core.USBError as exc:
            self._release(device)
            raise self._failure(device, "could not be opened", exc, retryable=True) from exc
        except BaseException:
            self._release(device)
            raise

    def write(self, data: bytes, timeout: float | None = None) -> None:
        """Bulk-write `data` to the OUT endpoint in chunks, within one deadline."""
        deadline = Deadline(timeout_seconds(timeout, self.write_timeout))
        self.open(min(self.open_timeout, max(deadline.remaining(), 0.001)))
        written = 0
        try:
            while written < len(data):
                if deadline.expired:
                    raise usb.core.USBTimeoutError("write deadline passed", errno=errno.ETIMEDOUT)
                chunk = bytes(data[written : written + CHUNK])
                written += self._device.write(self._out, chunk, _ms(deadline.remaining()))
        except usb.core.USBError as exc:
            device = self._device
            self.close()
            gone_before_sending = written == 0 and exc.errno == errno.ENODEV
            raise self._failure(
                device,
                f"failed after {written} of {len(data)} bytes; "
                + ("nothing was sent" if gone_before_sending else "the document may have printed"),
                exc,
                retryable=gone_before_sending,
                uncertain=not gone_before_sending,
                sent=written,
            ) from exc

    def status(self, timeout: float | None = None) -> PrinterStatus:
        """Language query over bulk IN when configured and possible, else GET_PORT_STATUS."""
        deadline = Deadline(timeout_seconds(timeout, self.status_timeout))
        own = self._device is None
        try:
            self.open(max(deadline.remaining(), 0.001))
        except DeviceNotFound as exc:
            return PrinterStatus(PrinterState.OFFLINE, exc.message)
        except ExternalError as exc:
            return PrinterStatus(PrinterState.UNKNOWN, exc.message)
        try:
            if self.language is not None and self._in is not None:
                return self._language_status(deadline)
            reply = self._device.ctrl_transfer(
                CLASS_IN_INTERFACE,
                GET_PORT_STATUS,
                0,
                self._interface.bInterfaceNumber,
                1,
                _ms(deadline.remaining()),
            )
            if len(reply) != 1:
                return PrinterStatus(PrinterState.UNKNOWN, f"{self.where}: no port status")
            return port_status(reply[0])
        except usb.core.USBError as exc:
            return PrinterStatus(PrinterState.UNKNOWN, f"{self.where}: status failed: {exc}")
        finally:
            if own:
                self.close()

    def close(self) -> None:
        """Release the interface, give it back to the kernel driver, free the handle."""
        device, self._device = self._device, None
        if device is not None:
            self._release(device)

    # ------------------------------------------------------------------ helpers

    def _printers(self) -> list[Any]:
        core = pyusb().core
        try:
            return list(core.find(find_all=True, backend=self.backend, custom_match=is_usb_printer))
        except core.NoBackendError as exc:
            raise ConfigurationError(
                "printer driver 'usb': pyusb found no USB library; install libusb-1.0 "
                "(Debian: libusb-1.0-0)"
            ) from exc

    def _claim(self, device: Any) -> None:
        try:
            configuration = device.get_active_configuration()
        except usb.core.USBError:  # not configured yet
            device.set_configuration()
            configuration = device.get_active_configuration()
        interface = printer_interface(configuration)
        if interface is None:
            raise DeviceNotFound(
                f"{describe(device)} has no printer interface in its active configuration",
                criteria=self.criteria.describe(),
            )
        out = bulk_endpoint(interface, usb.util.ENDPOINT_OUT)
        if out is None:
            raise DeviceNotFound(
                f"{describe(device)} has no bulk OUT endpoint on its printer interface",
                criteria=self.criteria.describe(),
            )
        number = interface.bInterfaceNumber
        self._detached = False
        with suppress(NotImplementedError):  # Windows and macOS backends cannot tell
            if device.is_kernel_driver_active(number):
                device.detach_kernel_driver(number)
                self._detached = True
        usb.util.claim_interface(device, number)
        self._device, self._interface = device, interface
        self._out, self._in = out, bulk_endpoint(interface, usb.util.ENDPOINT_IN)

    def _release(self, device: Any) -> None:
        interface, self._interface = self._interface, None
        if interface is not None:
            with suppress(usb.core.USBError):
                usb.util.release_interface(device, interface.bInterfaceNumber)
            if self._detached:
                with suppress(usb.core.USBError, NotImplementedError):
                    device.attach_kernel_driver(interface.bInterfaceNumber)
        self._detached = False
        self._out = self._in = None
        usb.util.dispose_resources(device)

    def _language_status(self, deadline: Deadline) -> PrinterStatus:
        assert self.language is not None
        self._device.write(self._out, STATUS_QUERIES[self.language], _ms(deadline.remaining()))
        reply = b""
        while not reply_complete(self.language, reply) and not deadline.expired:
            try:
                chunk = self._device.read(self._in, 64, _ms(deadline.remaining()))
            except usb.core.USBTimeoutError:
                break
            reply += bytes(chunk)
        if not reply_complete(self.language, reply):
            return no_reply_status(self.language, deadline.seconds, self.where)
        return decode_status(self.language, reply)

    def _device_id(self, device: Any) -> dict[str, str]:
        """The IEEE 1284 device ID, when the printer interface is free to ask (a kernel
        driver holding it is left alone during discovery)."""
        try:
            interface = printer_interface(device.get_active_configuration())
            if interface is None or device.is_kernel_driver_active(interface.bInterfaceNumber):
                return {}
            index = (interface.bInterfaceNumber << 8) | interface.bAlternateSetting
            raw = device.ctrl_transfer(CLASS_IN_INTERFACE, GET_DEVICE_ID, 0, index, 1024)
        except (usb.core.USBError, NotImplementedError, ValueError):
            return {}
        return parse_device_id(bytes(raw))

    def _failure(
        self, device: Any, what: str, exc: BaseException, *, retryable: bool, **details: Any
    ) -> ExternalError:
        where = describe(device) if device is not None else self.criteria.describe()
        reason = str(exc)
        if getattr(exc, "errno", None) == errno.EACCES:
            reason += " (needs root or a udev rule giving this user access to the device)"
        elif getattr(exc, "errno", None) == errno.EBUSY:
            reason += " (another program, such as CUPS's usb backend, holds the printer)"
        return ExternalError(
            f"{where} {what}: {reason}", retryable=retryable, device=where, **details
        )
