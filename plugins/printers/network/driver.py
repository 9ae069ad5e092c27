"""`NetworkDriver`: raw bytes over TCP to a printer's port 9100, one connection per job.

Raw 9100 has no framing, job id or acknowledgement beyond TCP's, so the driver makes TCP's
as meaningful as it can: after sending a document it waits (Linux) until the printer's TCP
stack has acknowledged every byte (`TIOCOUTQ` reaches 0). So when `write` returns, the
document is in the printer, not in our kernel's send buffer, and a failure can only leave
the document being written in doubt, never an earlier one. Elsewhere it returns once the
kernel took the bytes.

Failures: refused or timed-out connects are `ExternalError(retryable=True)`; a failure after
some bytes of a document left is `ExternalError(retryable=False, uncertain=True)`, so the
print job marks that item uncertain instead of printing it twice. Both name host:port.

Settings: `host` (required), `port` (9100), `language` (tspl | zpl | escpos: the status
query to use), `connect_timeout`, `write_timeout`, `status_timeout` (seconds), `confirm`
(wait for the TCP acknowledgement, default true).
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import sys
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from core.contracts.base import NO_SETTINGS, PluginServices
from core.contracts.printer import PrinterDriver, PrinterState, PrinterStatus
from core.errors import ExternalError
from plugins.printers.common.settings import Deadline, SettingsReader, timeout_seconds
from plugins.printers.common.status_codes import (
    STATUS_QUERIES,
    decode_status,
    no_reply_status,
    reply_complete,
)

if sys.platform.startswith("linux"):
    import fcntl
    import termios

    def unacknowledged_bytes(sock: socket.socket) -> int | None:
        """Bytes sent but not yet acknowledged by the peer (plus any not yet sent)."""
        raw = fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0")
        return struct.unpack("i", raw)[0]

else:  # pragma: no cover - no portable way to ask; the kernel's acceptance has to do

    def unacknowledged_bytes(sock: socket.socket) -> int | None:
        return None


class NetworkDriver(PrinterDriver):
    """A printer on the network that takes raw bytes on a TCP port (usually 9100)."""

    name = "network"
    #: PDF only for printers that interpret it on 9100 (many office lasers do).
    LANGUAGES: ClassVar[frozenset[str]] = frozenset({"tspl", "zpl", "escpos", "pdf"})
    OPEN_TIMEOUT = 5.0
    WRITE_TIMEOUT = 30.0
    STATUS_TIMEOUT = 2.0
    SUPPORTS_STATUS = True

    def __init__(
        self, settings: Mapping[str, Any] = NO_SETTINGS, services: PluginServices | None = None
    ) -> None:
        super().__init__(settings, services)
        read = SettingsReader("printer driver 'network'", self.settings)
        self.host = read.required_text("host")
        self.port = read.integer("port", 9100, 1, 65535) or 9100
        self.language = read.choice("language", tuple(STATUS_QUERIES), None)
        self.connect_timeout = read.seconds("connect_timeout", self.OPEN_TIMEOUT)
        self.write_timeout = read.seconds("write_timeout", self.WRITE_TIMEOUT)
        self.status_timeout = read.seconds("status_timeout", self.STATUS_TIMEOUT)
        self.confirm = read.flag("confirm", True)
        self._sock: socket.socket | None = None

    @property
    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    # ------------------------------------------------------------------ contract

    def open(self, timeout: float | None = None) -> None:
        """Connect (once per job); refused or slow connects are retryable errors."""
        if self._sock is not None:
            return
        self._sock = self._connect(timeout_seconds(timeout, self.connect_timeout))

    def write(self, data: bytes, timeout: float | None = None) -> None:
        """Send one document on the job's connection and wait for the printer's TCP ack."""
        deadline = Deadline(timeout_seconds(timeout, self.write_timeout))
        self.open(min(self.connect_timeout, max(deadline.remaining(), 0.001)))
        sock = self._sock
        assert sock is not None
        view = memoryview(data)
        sent = 0
        try:
            while sent < len(view):
                remaining = deadline.remaining()
                if remaining <= 0:
                    raise TimeoutError
                sock.settimeout(remaining)
                sent += sock.send(view[sent:])
            if self.confirm:
                self._await_acknowledgement(sock, deadline)
        except (TimeoutError, OSError) as exc:
            self.close()
            raise self._write_error(exc, sent, len(view), deadline) from exc

    def status(self, timeout: float | None = None) -> PrinterStatus:
        """Ask with the configured language's query; OFFLINE when unreachable, UNKNOWN when
        it stays silent. Uses the job's connection if one is open (many printers accept
        only one), else a short-lived one."""
        seconds = timeout_seconds(timeout, self.status_timeout)
        if self.language is None:
            return PrinterStatus(
                PrinterState.UNKNOWN,
                f"printer {self.where}: set 'language' (tspl, zpl or escpos) to query status",
            )
        deadline = Deadline(seconds)
        own = self._sock is None
        try:
            sock = self._sock or self._connect(seconds)
        except ExternalError as exc:
            return PrinterStatus(PrinterState.OFFLINE, exc.message)
        try:
            reply = self._query(sock, deadline)
        except OSError as exc:
            self.close()
            return PrinterStatus(
                PrinterState.OFFLINE, f"printer {self.where} dropped the status query: {exc}"
            )
        finally:
            if own:
                _close_quietly(sock)
        if not reply_complete(self.language, reply):
            return no_reply_status(self.language, seconds, f"printer {self.where}")
        return decode_status(self.language, reply)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            _close_quietly(sock)

    # ------------------------------------------------------------------ helpers

    def _connect(self, seconds: float) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=seconds)
        except TimeoutError as exc:
            raise ExternalError(
                f"printer {self.where} did not accept a connection within {seconds:g} s",
                retryable=True,
                device=self.where,
            ) from exc
        except OSError as exc:
            raise ExternalError(
                f"cannot connect to printer {self.where}: {exc.strerror or exc}",
                retryable=True,
                device=self.where,
            ) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _await_acknowledgement(self, sock: socket.socket, deadline: Deadline) -> None:
        """Poll until the peer acknowledged every byte, the connection broke, or time ran
        out; the first checks are immediate, later ones back off to 10 ms."""
        pause = 0.0
        while True:
            waiting = unacknowledged_bytes(sock)
            if not waiting:
                return
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                raise OSError(error, f"connection failed ({error})")
            if deadline.expired:
                raise TimeoutError(f"{waiting} bytes not acknowledged")
            time.sleep(pause)
            pause = min(max(pause * 2, 0.0002), 0.01)

    def _write_error(
        self, exc: BaseException, sent: int, total: int, deadline: Deadline
    ) -> ExternalError:
        if isinstance(exc, TimeoutError):
            what = f"timed out after {deadline.seconds:g} s"
        else:
            what = f"failed: {getattr(exc, 'strerror', None) or exc}"
        if sent == 0:
            return ExternalError(
                f"sending to printer {self.where} {what}; no byte of the document left",
                retryable=True,
                device=self.where,
                sent=0,
                size=total,
            )
        return ExternalError(
            f"sending to printer {self.where} {what} after {sent} of {total} bytes; "
            "the document may or may not have printed",
            retryable=False,
            uncertain=True,
            device=self.where,
            sent=sent,
            size=total,
        )

    def _query(self, sock: socket.socket, deadline: Deadline) -> bytes:
        """Send the status query and read until a whole reply or the deadline."""
        assert self.language is not None
        _discard_pending(sock)
        sock.settimeout(max(deadline.remaining(), 0.001))
        sock.sendall(STATUS_QUERIES[self.language])
        reply = b""
        while not reply_complete(self.language, reply):
            remaining = deadline.remaining()
            if remaining <= 0:
                break
            sock.settimeout(remaining)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                break
            if not chunk:
                break
            reply += chunk
        return reply


def _discard_pending(sock: socket.socket) -> None:
    """Drop bytes the printer sent unasked, so they are not taken for the status reply."""
    while select.select([sock], [], [], 0)[0]:
        if not sock.recv(4096, socket.MSG_DONTWAIT):
            raise ConnectionResetError("connection closed by the printer")


def _close_quietly(sock: socket.socket) -> None:
    """Close gracefully: read what the printer sent (closing on unread bytes would send
    a reset, and a reset can make the printer drop bytes it acknowledged), then FIN."""
    with contextlib.suppress(OSError):
        _discard_pending(sock)
        sock.shutdown(socket.SHUT_WR)
    sock.close()
