"""`PrinterDriver`: a thin transport to one printer — USB, raw TCP 9100, CUPS, the Windows
spooler, or a platform print component (python-escpos' connector split).

A driver moves bytes; it does not render (that is a `Renderer`). Core builds one instance
per configured printer with its connection settings (host, port, USB ids, queue name …).
Every blocking call has a timeout: `None` means the class default (`OPEN_TIMEOUT`,
`WRITE_TIMEOUT`, `STATUS_TIMEOUT`), never "wait forever".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType, TracebackType
from typing import Any, ClassVar

from core.contracts.base import Contract
from core.contracts.types import enum_value, frozen_mapping, language_problems, required_text


class PrinterState(StrEnum):
    """What a printer reports; drivers map their device's codes onto this set."""

    READY = "ready"
    BUSY = "busy"  # printing; more data may be queued
    PAPER_OUT = "paper_out"
    HEAD_OPEN = "head_open"
    PAUSED = "paused"
    OFFLINE = "offline"
    ERROR = "error"
    UNKNOWN = "unknown"  # the device gave no (or no understandable) answer


@dataclass(frozen=True)
class PrinterStatus:
    """A status reading; `message` is the device's own words, for the operator."""

    state: PrinterState
    message: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", enum_value(PrinterState, self.state, "state"))

    @property
    def ready(self) -> bool:
        """True when sending a job now makes sense."""
        return self.state in (PrinterState.READY, PrinterState.BUSY)


@dataclass(frozen=True)
class PrinterInfo:
    """A printer found by `discover`. `settings` are exactly what to pass to the driver
    to open this printer; `detail` says where it was found (e.g. "USB 1fc9:2016")."""

    name: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    model: str = ""
    languages: tuple[str, ...] = ()
    detail: str = ""

    def __post_init__(self) -> None:
        required_text(self.name, "name")
        object.__setattr__(self, "settings", frozen_mapping(self.settings))
        object.__setattr__(self, "languages", tuple(self.languages))


class PrinterDriver(Contract, ABC):
    """A printer transport. Opens lazily, writes raw bytes, reads status, closes."""

    kind: ClassVar[str] = "printer_driver"
    #: Document languages this transport can deliver ("tspl", "zpl", "escpos", "pdf", …).
    LANGUAGES: ClassVar[frozenset[str]] = frozenset()
    OPEN_TIMEOUT: ClassVar[float] = 5.0
    WRITE_TIMEOUT: ClassVar[float] = 30.0
    STATUS_TIMEOUT: ClassVar[float] = 2.0
    SUPPORTS_DISCOVERY: ClassVar[bool] = False
    SUPPORTS_STATUS: ClassVar[bool] = False
    OPTIONAL_OPERATIONS: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"SUPPORTS_DISCOVERY": "discover", "SUPPORTS_STATUS": "status"}
    )

    @classmethod
    def capabilities(cls) -> dict[str, Any]:
        """Flags plus the accepted document languages."""
        return {**super().capabilities(), "languages": sorted(cls.LANGUAGES)}

    @classmethod
    def _declaration_problems(cls) -> list[str]:
        problems = language_problems(cls.LANGUAGES)
        for name in ("OPEN_TIMEOUT", "WRITE_TIMEOUT", "STATUS_TIMEOUT"):
            value = getattr(cls, name)
            if not isinstance(value, int | float) or not 0 < value < float("inf"):
                problems.append(f"{name} must be a positive, finite number of seconds")
        return problems

    @classmethod
    def accepts(cls, language: str) -> bool:
        """Whether documents in `language` can be sent through this driver."""
        return language in cls.LANGUAGES

    def discover(self, timeout: float | None = None) -> list[PrinterInfo]:
        """Printers reachable through this transport right now (USB devices, CUPS queues,
        the print component's printer list); an empty list when none. Optional:
        `SUPPORTS_DISCOVERY`."""
        self.not_supported("printer discovery")

    @abstractmethod
    def open(self, timeout: float | None = None) -> None:
        """Connect to the printer named in `settings`. Raises `DeviceNotFound` naming what
        it looked for (host:port, USB ids, queue). Opening an open driver does nothing."""

    @abstractmethod
    def write(self, data: bytes, timeout: float | None = None) -> None:
        """Send one document's bytes, opening first if needed; return once the device or
        spooler accepted all of them. On failure raise `ExternalError`: `retryable=True`
        only if no byte left, so a retry cannot print the label twice."""

    def status(self, timeout: float | None = None) -> PrinterStatus:
        """Ask the printer how it is; `PrinterState.UNKNOWN` when it does not answer in
        time. Optional: `SUPPORTS_STATUS`."""
        self.not_supported("reading printer status")

    @abstractmethod
    def close(self) -> None:
        """Release the connection. Safe to call twice and on a driver never opened."""

    def __enter__(self) -> PrinterDriver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
