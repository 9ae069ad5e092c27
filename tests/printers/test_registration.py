"""The five built-in printer drivers come in through the `orderhub` entry points, pass the
contract checks, and declare honest capabilities."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import PluginSettings
from core.contracts.printer import PrinterDriver
from core.plugins.host import PluginHost

SETTINGS = {
    "file": {"folder": "."},
    "network": {"host": "127.0.0.1"},
    "usb": {},
    "spooler": {"queue": "labels"},
    "pinduoduo-component": {},
}


@pytest.fixture(scope="module")
def drivers() -> dict[str, type[PrinterDriver]]:
    host = PluginHost(PluginSettings(only=("orderhub",)))
    host.load()
    assert host.failed == []
    return host.printer_drivers()


def test_every_builtin_driver_is_registered(drivers: dict[str, type[PrinterDriver]]) -> None:
    assert set(SETTINGS) <= set(drivers)


@pytest.mark.parametrize(
    ("name", "languages", "discovery", "status"),
    [
        ("file", ["escpos", "pdf", "png", "tspl", "zpl"], False, True),
        ("network", ["escpos", "pdf", "tspl", "zpl"], False, True),
        ("usb", ["escpos", "tspl", "zpl"], True, True),
        ("spooler", ["escpos", "pdf", "png", "tspl", "zpl"], True, True),
        ("pinduoduo-component", ["pdd-print"], True, True),
    ],
)
def test_capabilities(
    drivers: dict[str, type[PrinterDriver]],
    name: str,
    languages: list[str],
    discovery: bool,
    status: bool,
) -> None:
    assert drivers[name].capabilities() == {
        "discovery": discovery,
        "status": status,
        "languages": languages,
    }


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_close_before_open_and_twice_is_harmless(
    drivers: dict[str, type[PrinterDriver]], name: str, tmp_path: Path
) -> None:
    settings = {"folder": str(tmp_path)} if name == "file" else SETTINGS[name]
    with drivers[name](settings) as driver:
        driver.close()
    driver.close()


def test_file_driver_needs_no_discovery(drivers: dict[str, type[PrinterDriver]]) -> None:
    from core.errors import NotSupported

    with pytest.raises(NotSupported, match="printer discovery"):
        drivers["file"]({"folder": "."}).discover()
