"""`PddComponentDriver`: prints `pdd-print` tasks through the Pinduoduo print component.

Receiver data on Pinduoduo e-waybills is ciphertext only the platform's component can turn
into a label, so this "printer" is a local WebSocket agent (default ws://127.0.0.1:5000)
that owns the real printers. One `write` = one print task: send it, wait for the accept
reply, then for the result notification naming its taskID. If the notification does not
come in time, one `getTaskStatus` settles it when it can; otherwise the task is reported
as unknown (uncertain), never as printed.

Settings: `url`, `printer` (the component's printer name; empty = its default),
`erp_id` and `isv_name` (sent as ERPId / ISVName when set), `open_timeout`,
`write_timeout` (how long to wait for the print result), `status_timeout`.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any, ClassVar

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from core.contracts.base import NO_SETTINGS, PluginServices
from core.contracts.printer import PrinterDriver, PrinterInfo, PrinterState, PrinterStatus
from core.errors import DeviceNotFound, ExternalError
from plugins.printers.common.settings import Deadline, SettingsReader, timeout_seconds
from plugins.printers.pinduoduo_component import protocol
from plugins.printers.pinduoduo_component.errors import (
    PrintResultUnknown,
    PrintTaskFailed,
    PrintTaskRejected,
)

DEFAULT_URL = "ws://127.0.0.1:5000"


class PddComponentDriver(PrinterDriver):
    """The Pinduoduo print component as a printer driver (language `pdd-print`)."""

    name = "pinduoduo-component"
    LANGUAGES: ClassVar[frozenset[str]] = frozenset({"pdd-print"})
    OPEN_TIMEOUT = 5.0
    WRITE_TIMEOUT = 60.0  # the component renders and prints before it notifies
    STATUS_TIMEOUT = 3.0
    SUPPORTS_DISCOVERY = True
    SUPPORTS_STATUS = True

    def __init__(
        self, settings: Mapping[str, Any] = NO_SETTINGS, services: PluginServices | None = None
    ) -> None:
        super().__init__(settings, services)
        read = SettingsReader("printer driver 'pinduoduo-component'", self.settings)
        self.url = read.text("url", DEFAULT_URL) or DEFAULT_URL
        self.printer = read.text("printer", "") or ""
        self.erp_id = read.text("erp_id")
        self.isv_name = read.text("isv_name")
        self.verify_tls = read.flag("verify_tls", False)  # the component's cert is self-signed
        self.open_timeout = read.seconds("open_timeout", self.OPEN_TIMEOUT)
        self.write_timeout = read.seconds("write_timeout", self.WRITE_TIMEOUT)
        self.status_timeout = read.seconds("status_timeout", self.STATUS_TIMEOUT)
        self.task_ids: list[str] = []
        self._ws: ClientConnection | None = None
        self._stack = ExitStack()

    @property
    def where(self) -> str:
        return f"Pinduoduo print component at {self.url}"

    # ------------------------------------------------------------------ contract

    def open(self, timeout: float | None = None) -> None:
        """Connect; when a printer is configured, check the component knows it."""
        if self._ws is not None:
            return
        deadline = Deadline(timeout_seconds(timeout, self.open_timeout))
        self._ws = self._connect(deadline.remaining())
        if self.printer:
            try:
                names, _ = self._printers(deadline)
            except BaseException:
                self.close()
                raise
            if self.printer not in names:
                self.close()
                raise DeviceNotFound(
                    f"{self.where} has no printer {self.printer!r}; it has: "
                    + (", ".join(names) or "none"),
                    printer=self.printer,
                    url=self.url,
                )

    def write(self, data: bytes, timeout: float | None = None) -> None:
        """Send one print task and return once the component reports it printed."""
        deadline = Deadline(timeout_seconds(timeout, self.write_timeout))
        task = protocol.print_task(protocol.parse_payload(data), self.printer)
        extra = {k: v for k, v in (("ERPId", self.erp_id), ("ISVName", self.isv_name)) if v}
        frame = protocol.request("print", task=task, **extra)
        self.open(min(self.open_timeout, max(deadline.remaining(), 0.001)))
        task_id = task["taskID"]
        try:
            self._send(frame)
        except ExternalError:
            raise ExternalError(  # nothing reached the component: safe to retry
                f"{self.where} closed before task {task_id} could be sent",
                retryable=True,
                url=self.url,
            ) from None
        self.task_ids.append(task_id)
        outcome = self._await_result(frame, task_id, deadline)
        if outcome.state == "pending":
            outcome = self._ask_task_status(task_id)
        if outcome.state == "printed":
            return
        if outcome.state == "failed":
            raise self._failed(task_id, outcome)
        raise PrintResultUnknown(
            f"{self.where} did not report the result of task {task_id} within "
            f"{deadline.seconds:g} s; it may or may not have printed",
            task_id=task_id,
            url=self.url,
            documents=list(outcome.documents),
        )

    def discover(self, timeout: float | None = None) -> list[PrinterInfo]:
        """The component's printers; the default one says so in `detail`."""
        deadline = Deadline(timeout_seconds(timeout, self.open_timeout))
        own = self._ws is None
        if own:
            self._ws = self._connect(deadline.remaining())
        try:
            names, default = self._printers(deadline)
        finally:
            if own:
                self.close()
        return [
            PrinterInfo(
                name=name,
                settings={"url": self.url, "printer": name},
                languages=("pdd-print",),
                detail=self.where + (" (default printer)" if name == default else ""),
            )
            for name in names
        ]

    def status(self, timeout: float | None = None) -> PrinterStatus:
        """READY when the component answers and lists the printer; OFFLINE otherwise.
        (The component does not report paper or head state.)"""
        seconds = timeout_seconds(timeout, self.status_timeout)
        try:
            printers = self.discover(seconds)
        except ExternalError as exc:
            return PrinterStatus(PrinterState.OFFLINE, exc.message)
        names = [p.name for p in printers]
        wanted = self.printer or next(
            (p.name for p in printers if p.detail.endswith("(default printer)")), ""
        )
        if wanted and wanted in names:
            return PrinterStatus(PrinterState.READY, f"printer {wanted!r} via {self.where}")
        return PrinterStatus(
            PrinterState.OFFLINE,
            f"{self.where} does not list printer {wanted or '(default)'!r}; it has: "
            + (", ".join(names) or "none"),
        )

    def close(self) -> None:
        self._ws = None
        self._stack.close()

    # ------------------------------------------------------------------ extras

    def printer_config(self, printer: str | None = None, timeout: float | None = None) -> dict:
        """`getPrinterConfig`: logo flags, offsets, paper size of one printer."""
        reply = self._call("getPrinterConfig", timeout, printer=printer or self.printer)
        config = reply.get("printer")
        return config if isinstance(config, dict) else {}

    def set_printer_config(self, config: Mapping[str, Any], timeout: float | None = None) -> None:
        """`setPrinterConfig`: e.g. `{"name": …, "horizontalOffset": 2, "verticalOffset": 0}`."""
        self._call("setPrinterConfig", timeout, printer=dict(config))

    def task_status(self, task_ids: list[str], timeout: float | None = None) -> list[dict]:
        """`getTaskStatus`: `[{taskID, detailStatus[{documentID, status, msg, printer}]}]`."""
        reply = self._call("getTaskStatus", timeout, taskID=list(task_ids))
        return [e for e in reply.get("printStatus") or () if isinstance(e, dict)]

    # ------------------------------------------------------------------ helpers

    def _connect(self, seconds: float) -> ClientConnection:
        context = None
        if self.url.startswith("wss:") and not self.verify_tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:  # entering the context is where newer websockets versions connect
            return self._stack.enter_context(
                connect(
                    self.url,
                    open_timeout=max(seconds, 0.001),
                    close_timeout=1,
                    ping_interval=None,  # the component is a local agent; no keepalive needed
                    proxy=None,  # never route 127.0.0.1 through an HTTP proxy from the environment
                    max_size=16 * 1024 * 1024,
                    ssl=context,
                )
            )
        except InvalidURI as exc:
            raise ExternalError(f"{self.url!r} is not a WebSocket URL", url=self.url) from exc
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise ExternalError(
                f"{self.where} is not reachable (is it running?): {exc}",
                retryable=True,
                url=self.url,
            ) from exc

    def _send(self, frame: dict[str, Any]) -> None:
        assert self._ws is not None
        try:
            self._ws.send(json.dumps(frame, ensure_ascii=False))
        except ConnectionClosed as exc:
            self.close()
            raise ExternalError(f"{self.where} closed the connection", url=self.url) from exc

    def _receive(self, deadline: Deadline) -> dict[str, Any] | None:
        """The next JSON object, or None when the deadline passed first."""
        assert self._ws is not None
        while not deadline.expired:
            try:
                frame = self._ws.recv(timeout=deadline.remaining())
            except TimeoutError:
                return None
            message = protocol.decode(frame)
            if message is not None:
                return message
        return None

    def _call(self, cmd: str, timeout: float | None, **fields: Any) -> dict[str, Any]:
        deadline = Deadline(timeout_seconds(timeout, self.status_timeout))
        own = self._ws is None
        self.open(deadline.remaining())
        try:
            return self._exchange(protocol.request(cmd, **fields), deadline)
        finally:
            if own:
                self.close()

    def _exchange(self, frame: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        """Send a request and return its (successful) reply."""
        self._send(frame)
        try:
            while (message := self._receive(deadline)) is not None:
                if protocol.is_reply(message, frame):
                    if not protocol.succeeded(message):
                        raise ExternalError(
                            f"{self.where} refused {frame['cmd']}: {message.get('msg', '')}",
                            url=self.url,
                        )
                    return message
        except ConnectionClosed as exc:
            self.close()
            raise ExternalError(
                f"{self.where} closed the connection during {frame['cmd']}",
                retryable=True,
                url=self.url,
            ) from exc
        raise ExternalError(
            f"{self.where} did not answer {frame['cmd']} within {deadline.seconds:g} s",
            retryable=True,
            url=self.url,
        )

    def _printers(self, deadline: Deadline) -> tuple[list[str], str]:
        reply = self._exchange(protocol.request("getPrinters"), deadline)
        names = [
            str(p["name"])
            for p in reply.get("printers") or ()
            if isinstance(p, dict) and p.get("name")
        ]
        return names, str(reply.get("defaultPrinter") or "")

    def _await_result(
        self, frame: dict[str, Any], task_id: str, deadline: Deadline
    ) -> protocol.TaskOutcome:
        """Wait for the accept reply and the result notification of `task_id`."""
        try:
            while (message := self._receive(deadline)) is not None:
                if message.get("cmd") == "print" and protocol.is_reply(message, frame):
                    if not protocol.succeeded(message):
                        raise PrintTaskRejected(
                            f"{self.where} refused task {task_id}: "
                            f"{message.get('msg') or 'no reason given'}",
                            retryable=False,
                            task_id=task_id,
                            url=self.url,
                        )
                    continue
                outcome = protocol.notification_outcome(message, task_id)
                if outcome is not None:
                    return outcome
        except ConnectionClosed as exc:
            self.close()
            raise PrintResultUnknown(
                f"{self.where} closed the connection while task {task_id} was printing; "
                "it may or may not have printed",
                task_id=task_id,
                url=self.url,
            ) from exc
        return protocol.TaskOutcome("pending")

    def _ask_task_status(self, task_id: str) -> protocol.TaskOutcome:
        """One `getTaskStatus` after the wait ran out; pending if that fails too."""
        try:
            reply = self._exchange(
                protocol.request("getTaskStatus", taskID=[task_id]),
                Deadline(self.status_timeout),
            )
        except ExternalError:
            return protocol.TaskOutcome("pending")
        return protocol.task_status_outcome(reply, task_id)

    def _failed(self, task_id: str, outcome: protocol.TaskOutcome) -> PrintTaskFailed:
        failed = outcome.failed_documents()
        names = ", ".join(
            f"{d.get('documentID')} ({d.get('msg') or d.get('status')})" for d in failed
        )
        reason = f": {names}" if names else (f": {outcome.message}" if outcome.message else "")
        return PrintTaskFailed(
            f"{self.where} reports task {task_id} failed{reason}",
            first_failed_doc_sn=outcome.first_failed_doc_sn,
            documents=list(outcome.documents),
            task_id=task_id,
            url=self.url,
        )
