"""Finding USB printers with pyusb: which devices are printers, which endpoints to use,
and which device the settings mean. No vendor whitelist: class 7 on any interface counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import ConfigurationError
from plugins.printers.common.settings import SettingsReader

try:
    import usb.core
    import usb.util
except ImportError:  # pragma: no cover - the `usb` extra is not installed
    usb = None  # type: ignore[assignment]


def pyusb() -> Any:
    """The `usb` package, or a `ConfigurationError` saying how to install it."""
    if usb is None:  # pragma: no cover - exercised only without the extra
        raise ConfigurationError(
            "printer driver 'usb' needs pyusb: pip install 'orderhub[usb]' (and libusb-1.0)"
        )
    return usb


PRINTER_CLASS = 7


def printer_interface(configuration: Any) -> Any | None:
    """The first interface of class 7 in `configuration`, or None."""
    for interface in configuration:
        if interface.bInterfaceClass == PRINTER_CLASS:
            return interface
    return None


def is_usb_printer(device: Any) -> bool:
    """Whether any configuration of `device` has a printer-class interface."""
    try:
        return any(printer_interface(cfg) is not None for cfg in device)
    except (usb.core.USBError, ValueError):
        return False


def bulk_endpoint(interface: Any, direction: int) -> Any | None:
    util = pyusb().util
    return util.find_descriptor(
        interface,
        custom_match=lambda e: (
            util.endpoint_type(e.bmAttributes) == util.ENDPOINT_TYPE_BULK
            and util.endpoint_direction(e.bEndpointAddress) == direction
        ),
    )


def describe(device: Any) -> str:
    return (
        f"USB printer {device.idVendor:04x}:{device.idProduct:04x} "
        f"(bus {device.bus} address {device.address})"
    )


def read_string(device: Any, index: int) -> str | None:
    """A string descriptor, or None when the device has none or will not tell us."""
    try:
        return pyusb().util.get_string(device, index) or None
    except (usb.core.USBError, ValueError, NotImplementedError):
        return None


@dataclass(frozen=True)
class UsbCriteria:
    """What the settings ask for; every field that is set must match."""

    vendor: int | None = None
    product: int | None = None
    serial: str | None = None
    bus: int | None = None
    address: int | None = None

    def describe(self) -> str:
        parts = []
        if self.vendor is not None:
            parts.append(f"usb_id {self.vendor:04x}:{self.product:04x}")
        if self.serial:
            parts.append(f"serial {self.serial!r}")
        if self.bus is not None:
            parts.append(f"bus {self.bus} address {self.address}")
        return "USB printer (interface class 7)" + (" with " + ", ".join(parts) if parts else "")

    def matches(self, device: Any) -> bool:
        if self.vendor is not None and (device.idVendor, device.idProduct) != (
            self.vendor,
            self.product,
        ):
            return False
        if self.bus is not None and (device.bus, device.address) != (self.bus, self.address):
            return False
        return not self.serial or read_string(device, device.iSerialNumber) == self.serial


def criteria_from(read: SettingsReader) -> UsbCriteria:
    vendor = product = None
    usb_id = read.text("usb_id")
    if usb_id is not None:
        try:
            vendor_text, product_text = usb_id.split(":")
            vendor, product = int(vendor_text, 16), int(product_text, 16)
        except ValueError:
            vendor = -1
        if vendor is None or not (0 <= vendor <= 0xFFFF and 0 <= (product or 0) <= 0xFFFF):
            raise ConfigurationError(
                f"printer driver 'usb': setting 'usb_id' must look like 0471:0055 "
                f"(vendor:product in hex), not {usb_id!r}",
                setting="usb_id",
            )
    bus = read.integer("bus", None, 0, 255)
    address = read.integer("address", None, 1, 127)
    if (bus is None) != (address is None):
        raise ConfigurationError(
            "printer driver 'usb': settings 'bus' and 'address' go together", setting="bus"
        )
    return UsbCriteria(vendor, product, read.text("serial"), bus, address)
