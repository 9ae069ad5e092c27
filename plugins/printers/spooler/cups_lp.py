"""CUPS through its command-line clients (`lp`, `lpstat` from cups-client / cups-bsd).

Every call is a subprocess with a timeout and the C locale, so the output parsed here is
CUPS's English wording whatever the machine's language. `server` ("host[:port]" or a
socket path) becomes `-h server`; empty means the local scheduler.
"""

from __future__ import annotations

import os
import re
import subprocess

from core.contracts.printer import PrinterInfo, PrinterState, PrinterStatus
from core.errors import ConfigurationError, ExternalError
from plugins.printers.spooler.cups_common import CupsQueueCheck

_JOB_ID = re.compile(r"request id is (\S+)")
_DEVICE = re.compile(r"^device for ([^:\s]+): (.*)$")


class LpSpooler(CupsQueueCheck):
    """CUPS via `lp` / `lpstat`."""

    def __init__(self, server: str | None = None) -> None:
        self.server = server
        self.where = f"CUPS at {server}" if server else "CUPS on this machine"

    def _run(
        self, args: list[str], timeout: float, data: bytes = b""
    ) -> subprocess.CompletedProcess:
        command = [args[0], *(["-h", self.server] if self.server else []), *args[1:]]
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        try:
            return subprocess.run(
                command, input=data, capture_output=True, timeout=timeout, env=env, check=False
            )
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"printer driver 'spooler': the CUPS client command {args[0]!r} is not "
                "installed (Debian: apt-get install cups-client)"
            ) from exc

    @staticmethod
    def _said(result: subprocess.CompletedProcess) -> str:
        return (result.stderr or result.stdout).decode("utf-8", "replace").strip()

    def _ensure_running(self, timeout: float) -> None:
        try:
            result = self._run(["lpstat", "-r"], timeout)
        except subprocess.TimeoutExpired as exc:
            raise ExternalError(
                f"{self.where} did not answer within {timeout:g} s", retryable=True
            ) from exc
        if b"scheduler is running" not in result.stdout:
            raise ExternalError(
                f"{self.where} is not running ({self._said(result) or 'no answer'})",
                retryable=True,
                spooler=self.where,
            )

    def submit(self, queue: str, data: bytes, title: str, raw: bool, timeout: float) -> str:
        args = ["lp", "-d", queue, *(["-o", "raw"] if raw else []), "-t", title, "-"]
        try:
            result = self._run(args, timeout, data)
        except subprocess.TimeoutExpired as exc:
            raise ExternalError(
                f"{self.where} did not confirm the job for queue {queue!r} within "
                f"{timeout:g} s; it may or may not have been queued",
                retryable=False,
                uncertain=True,
                queue=queue,
            ) from exc
        match = _JOB_ID.search(result.stdout.decode("utf-8", "replace"))
        if result.returncode != 0 or match is None:
            raise ExternalError(
                f"{self.where} refused the job for queue {queue!r}: {self._said(result)}",
                retryable=True,  # lp failed: no job exists, nothing can print twice
                queue=queue,
            )
        return match.group(1)

    def queue_status(self, queue: str, timeout: float) -> PrinterStatus:
        try:
            result = self._run(["lpstat", "-p", queue, "-a", queue], timeout)
        except subprocess.TimeoutExpired:
            return PrinterStatus(
                PrinterState.UNKNOWN, f"{self.where} did not answer within {timeout:g} s"
            )
        text = result.stdout.decode("utf-8", "replace")
        if result.returncode != 0 or f"printer {queue} " not in text:
            return PrinterStatus(
                PrinterState.OFFLINE, f"queue {queue!r} in {self.where}: {self._said(result)}"
            )
        return parse_lpstat(queue, text)

    def queues(self, timeout: float) -> list[PrinterInfo]:
        self._ensure_running(timeout)
        try:
            result = self._run(["lpstat", "-v"], timeout)
        except subprocess.TimeoutExpired as exc:
            raise ExternalError(
                f"{self.where} did not list its queues within {timeout:g} s", retryable=True
            ) from exc
        found = []
        for line in result.stdout.decode("utf-8", "replace").splitlines():
            match = _DEVICE.match(line.strip())
            if match:
                name, uri = match.groups()
                settings = {"queue": name, **({"server": self.server} if self.server else {})}
                found.append(
                    PrinterInfo(name=name, settings=settings, detail=f"{self.where}, {uri}")
                )
        return found


def parse_lpstat(queue: str, text: str) -> PrinterStatus:
    """`lpstat -p Q -a Q` output (C locale) → status; the indented lines are the reasons."""
    reasons = [line.strip() for line in text.splitlines() if line.startswith(("\t", " "))]
    detail = "; ".join(dict.fromkeys(r for r in reasons if r))
    suffix = f": {detail}" if detail else ""
    if f"printer {queue} disabled" in text:
        return PrinterStatus(PrinterState.PAUSED, f"queue {queue!r} is disabled{suffix}")
    if f"{queue} not accepting requests" in text:
        return PrinterStatus(PrinterState.PAUSED, f"queue {queue!r} is not accepting jobs{suffix}")
    if f"printer {queue} now printing" in text:
        return PrinterStatus(PrinterState.BUSY, f"queue {queue!r} is printing{suffix}")
    if f"printer {queue} is idle" in text:
        return PrinterStatus(PrinterState.READY, f"queue {queue!r} is idle{suffix}")
    return PrinterStatus(PrinterState.UNKNOWN, f"queue {queue!r}: {text.strip()}")
