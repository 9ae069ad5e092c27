"""A pyusb backend double: the OS edge below `usb.core`, presenting made-up USB devices.

`FakeUsbBackend` implements `usb.backend.IBackend` (what pyusb's libusb1 backend does),
so the driver under test runs through the real `usb.core.find`, descriptor walking,
`usb.util` and `Device.write/read/ctrl_transfer`. Each `FakeUsbDevice` has descriptors
(device, one configuration, interfaces, endpoints), string descriptors, an IEEE 1284
device ID, a kernel driver that may hold its printer interface, and records bulk writes.
"""

from __future__ import annotations

import array
import errno
from dataclasses import dataclass, field
from types import SimpleNamespace

import usb.backend
import usb.core

BULK, INTERRUPT = 2, 3


@dataclass
class FakeEndpoint:
    address: int
    kind: int = BULK

    def descriptor(self) -> SimpleNamespace:
        return SimpleNamespace(
            bLength=7,
            bDescriptorType=5,
            bEndpointAddress=self.address,
            bmAttributes=self.kind,
            wMaxPacketSize=64,
            bInterval=0,
            bRefresh=0,
            bSynchAddress=0,
            extra_descriptors=[],
        )


@dataclass
class FakeInterface:
    number: int
    cls: int
    endpoints: list[FakeEndpoint]
    subclass: int = 1
    protocol: int = 2

    def descriptor(self) -> SimpleNamespace:
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=4,
            bInterfaceNumber=self.number,
            bAlternateSetting=0,
            bNumEndpoints=len(self.endpoints),
            bInterfaceClass=self.cls,
            bInterfaceSubClass=self.subclass,
            bInterfaceProtocol=self.protocol,
            iInterface=0,
            extra_descriptors=[],
        )


@dataclass
class FakeUsbDevice:
    vendor: int
    product: int
    interfaces: list[FakeInterface]
    bus: int = 1
    address: int = 2
    device_class: int = 0
    manufacturer: str = ""
    product_name: str = ""
    serial: str = ""
    device_id: str = ""  # IEEE 1284, e.g. "MFG:Gprinter;MDL:GP-3120TU;CMD:TSPL;"
    port_status: int = 0x18  # selected, no error, paper present
    kernel_driver: bool = True  # usblp holds the printer interface
    configured: int = 0  # bConfigurationValue set on the device; 0 = not configured
    status_replies: dict[bytes, bytes] = field(default_factory=dict)
    fail_after: int | None = None  # bulk OUT fails once this many bytes went through
    fail_errno: int = errno.EIO
    stall: bool = False  # bulk OUT never completes: every write times out
    written: bytearray = field(default_factory=bytearray)
    claimed: set[int] = field(default_factory=set)
    events: list[str] = field(default_factory=list)
    _in_queue: bytearray = field(default_factory=bytearray)

    def strings(self) -> dict[int, str]:
        return {1: self.manufacturer, 2: self.product_name, 3: self.serial}

    def descriptor(self) -> SimpleNamespace:
        strings = self.strings()
        return SimpleNamespace(
            bLength=18,
            bDescriptorType=1,
            bcdUSB=0x0200,
            bDeviceClass=self.device_class,
            bDeviceSubClass=0,
            bDeviceProtocol=0,
            bMaxPacketSize0=64,
            idVendor=self.vendor,
            idProduct=self.product,
            bcdDevice=0x0100,
            iManufacturer=1 if strings[1] else 0,
            iProduct=2 if strings[2] else 0,
            iSerialNumber=3 if strings[3] else 0,
            bNumConfigurations=1,
            address=self.address,
            bus=self.bus,
            port_number=1,
            port_numbers=(1,),
            speed=2,
        )

    # --- the device's side of transfers

    def bulk_out(self, data: bytes) -> int:
        if self.stall:
            raise usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
        if self.fail_after is not None and len(self.written) + len(data) > self.fail_after:
            accepted = max(0, self.fail_after - len(self.written))
            self.written += data[:accepted]
            raise usb.core.USBError("Input/Output Error", -1, self.fail_errno)
        self.written += data
        for query, reply in self.status_replies.items():
            if query in data:
                self._in_queue += reply
        return len(data)

    def bulk_in(self, size: int) -> bytes:
        if not self._in_queue:
            raise usb.core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT)
        reply = bytes(self._in_queue[:size])
        del self._in_queue[:size]
        return reply


def printer(
    vendor: int,
    product: int,
    *,
    out: int = 0x01,
    inp: int | None = 0x81,
    interface: int = 0,
    extra_interfaces: tuple[FakeInterface, ...] = (),
    **kwargs: object,
) -> FakeUsbDevice:
    """A device whose interface `interface` is a printer (class 7) with bulk endpoints."""
    endpoints = [FakeEndpoint(out)] + ([FakeEndpoint(inp)] if inp is not None else [])
    interfaces = [*extra_interfaces, FakeInterface(interface, 7, endpoints)]
    return FakeUsbDevice(vendor, product, interfaces, **kwargs)  # type: ignore[arg-type]


class FakeUsbBackend(usb.backend.IBackend):
    """Serves `devices` to pyusb as if libusb had enumerated them."""

    def __init__(self, *devices: FakeUsbDevice) -> None:
        super().__init__()
        self.devices = list(devices)

    # --- enumeration and descriptors
    def enumerate_devices(self):  # type: ignore[no-untyped-def]
        return iter(self.devices)

    def get_parent(self, dev: FakeUsbDevice) -> None:
        return None

    def get_device_descriptor(self, dev: FakeUsbDevice) -> SimpleNamespace:
        return dev.descriptor()

    def get_configuration_descriptor(self, dev: FakeUsbDevice, config: int) -> SimpleNamespace:
        if config != 0:
            raise IndexError(config)
        return SimpleNamespace(
            bLength=9,
            bDescriptorType=2,
            wTotalLength=64,
            bNumInterfaces=len(dev.interfaces),
            bConfigurationValue=1,
            iConfiguration=0,
            bmAttributes=0x80,
            bMaxPower=50,
            extra_descriptors=[],
        )

    def get_interface_descriptor(
        self, dev: FakeUsbDevice, intf: int, alt: int, config: int
    ) -> SimpleNamespace:
        if alt != 0 or intf >= len(dev.interfaces):
            raise IndexError((intf, alt))
        return dev.interfaces[intf].descriptor()

    def get_endpoint_descriptor(
        self, dev: FakeUsbDevice, ep: int, intf: int, alt: int, config: int
    ) -> SimpleNamespace:
        return dev.interfaces[intf].endpoints[ep].descriptor()

    # --- handles and configuration
    def open_device(self, dev: FakeUsbDevice) -> FakeUsbDevice:
        dev.events.append("open")
        return dev

    def close_device(self, dev_handle: FakeUsbDevice) -> None:
        dev_handle.events.append("close")

    def set_configuration(self, dev_handle: FakeUsbDevice, config_value: int) -> None:
        dev_handle.events.append(f"set_configuration {config_value}")
        dev_handle.configured = config_value

    def get_configuration(self, dev_handle: FakeUsbDevice) -> int:
        return dev_handle.configured

    def set_interface_altsetting(self, dev_handle: FakeUsbDevice, intf: int, alt: int) -> None:
        pass

    def claim_interface(self, dev_handle: FakeUsbDevice, intf: int) -> None:
        printer_interface = any(i.number == intf and i.cls == 7 for i in dev_handle.interfaces)
        if printer_interface and dev_handle.kernel_driver:
            raise usb.core.USBError("Resource busy", -6, errno.EBUSY)
        dev_handle.claimed.add(intf)
        dev_handle.events.append(f"claim {intf}")

    def release_interface(self, dev_handle: FakeUsbDevice, intf: int) -> None:
        dev_handle.claimed.discard(intf)
        dev_handle.events.append(f"release {intf}")

    # --- kernel driver
    def is_kernel_driver_active(self, dev_handle: FakeUsbDevice, intf: int) -> bool:
        return dev_handle.kernel_driver and any(
            i.number == intf and i.cls == 7 for i in dev_handle.interfaces
        )

    def detach_kernel_driver(self, dev_handle: FakeUsbDevice, intf: int) -> None:
        dev_handle.kernel_driver = False
        dev_handle.events.append(f"detach {intf}")

    def attach_kernel_driver(self, dev_handle: FakeUsbDevice, intf: int) -> None:
        dev_handle.kernel_driver = True
        dev_handle.events.append(f"attach {intf}")

    # --- transfers
    def bulk_write(
        self, dev_handle: FakeUsbDevice, ep: int, intf: int, data: array.array, timeout: int
    ) -> int:
        if intf not in dev_handle.claimed:
            raise usb.core.USBError("Interface not claimed", -6, errno.EBUSY)
        return dev_handle.bulk_out(data.tobytes())

    def bulk_read(
        self, dev_handle: FakeUsbDevice, ep: int, intf: int, buff: array.array, timeout: int
    ) -> int:
        reply = dev_handle.bulk_in(len(buff))
        buff[: len(reply)] = array.array("B", reply)
        return len(reply)

    def ctrl_transfer(
        self,
        dev_handle: FakeUsbDevice,
        bmRequestType: int,
        bRequest: int,
        wValue: int,
        wIndex: int,
        data: array.array,
        timeout: int,
    ) -> int:
        if bmRequestType == 0x80 and bRequest == 6 and wValue >> 8 == 3:  # string descriptor
            index = wValue & 0xFF
            if index == 0:
                payload = bytes([4, 3, 0x09, 0x04])  # LANGID en-US
            else:
                text = dev_handle.strings().get(index, "").encode("utf-16-le")
                payload = bytes([len(text) + 2, 3]) + text
        elif bmRequestType == 0xA1 and bRequest == 0:  # GET_DEVICE_ID
            text = dev_handle.device_id.encode("latin-1")
            payload = (len(text) + 2).to_bytes(2, "big") + text
        elif bmRequestType == 0xA1 and bRequest == 1:  # GET_PORT_STATUS
            payload = bytes([dev_handle.port_status])
        else:
            raise usb.core.USBError("Pipe error", -9, errno.EPIPE)
        payload = payload[: len(data)]
        data[: len(payload)] = array.array("B", payload)
        return len(payload)

    def clear_halt(self, dev_handle: FakeUsbDevice, ep: int) -> None:
        pass

    def reset_device(self, dev_handle: FakeUsbDevice) -> None:
        dev_handle.events.append("reset")
