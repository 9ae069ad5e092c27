"""`FileDriver`: writes each document's bytes to its own file, atomically, in write order.

File names are `<sequence>[-<prefix>][-<document>].<ext>`: the 8-digit sequence comes from
a counter file in the folder, taken under a lock, so `ls` lists documents in the order they
were printed, across jobs and processes, and no number is used twice. `prefix` comes from
the settings (e.g. the print job, "job-42"), `document` from `write(..., document=…)`
(e.g. the waybill number); both are reduced to safe characters. The extension is sniffed
(PDF, PNG) or taken from the `extension` setting, else `bin`.

Atomicity: bytes go to a hidden `.…partial` file, are fsynced, then hard-linked to the
final name (which fails instead of overwriting if another writer took that sequence) and
the partial file is removed. A failure at any step removes what was written, so the folder
never holds half a label. Local file writes cannot be interrupted, so `timeout` is
accepted (and checked) but a write to a hung network share blocks like any file write.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from core.contracts.base import NO_SETTINGS, PluginServices
from core.contracts.printer import PrinterDriver, PrinterState, PrinterStatus
from core.errors import DeviceNotFound, ExternalError
from plugins.printers.common.settings import SettingsReader, timeout_seconds

_SEQUENCE = re.compile(r"^(\d{8,})(?:[-.]|$)")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_DISK_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}
_MIN_FREE_BYTES = 1 << 20  # below 1 MiB free, status() calls the folder full

LOCK_NAME = ".orderhub-printer.lock"
COUNTER_NAME = ".orderhub-printer.sequence"

log = logging.getLogger(__name__)


class _FolderLock:
    """An exclusive lock between every writer of one folder (processes and threads):
    `flock` on POSIX, `msvcrt.locking` on Windows (which retries for 10 s, then fails)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1

    def __enter__(self) -> _FolderLock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.name == "nt":  # pragma: no cover - Windows only
                import msvcrt

                msvcrt.locking(self.fd, msvcrt.LK_LOCK, 1)
            else:
                import fcntl

                fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(self.fd)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        os.close(self.fd)  # closing releases the lock on both systems


def safe_name_part(text: str, limit: int = 60) -> str:
    """`text` reduced to [A-Za-z0-9._-], no leading dots or dashes, at most `limit` chars."""
    return _UNSAFE.sub("_", text).lstrip(".-")[:limit]


def sniff_extension(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


class FileDriver(PrinterDriver):
    """A folder as a printer. Settings: `folder` (required), `create` (make the folder if
    missing; default false, so a typo does not print into a new folder), `prefix`,
    `extension`, `fsync` (default true)."""

    name = "file"
    LANGUAGES: ClassVar[frozenset[str]] = frozenset({"pdf", "png", "tspl", "zpl", "escpos"})
    SUPPORTS_STATUS = True

    def __init__(
        self, settings: Mapping[str, Any] = NO_SETTINGS, services: PluginServices | None = None
    ) -> None:
        super().__init__(settings, services)
        read = SettingsReader("printer driver 'file'", self.settings)
        self.folder = Path(read.required_text("folder")).expanduser()
        self.create = read.flag("create", False)
        self.prefix = safe_name_part(read.text("prefix", "") or "")
        extension = safe_name_part(read.text("extension", "") or "").strip(".").lower()
        self.extension = extension or None
        self.fsync = read.flag("fsync", True)
        self.last_path: Path | None = None
        self._open = False

    # ------------------------------------------------------------------ contract

    def open(self, timeout: float | None = None) -> None:
        """Check the folder exists (or create it when `create` is set) and is a folder."""
        timeout_seconds(timeout, self.OPEN_TIMEOUT)
        if self._open:
            return
        if self.create:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DeviceNotFound(
                    f"file printer: cannot create folder {self.folder}: {exc.strerror}",
                    folder=str(self.folder),
                ) from exc
        if not self.folder.is_dir():
            what = "is not a folder" if self.folder.exists() else "does not exist"
            raise DeviceNotFound(
                f"file printer: folder {self.folder} {what}", folder=str(self.folder)
            )
        if not os.access(self.folder, os.W_OK | os.X_OK):
            raise DeviceNotFound(
                f"file printer: folder {self.folder} is not writable", folder=str(self.folder)
            )
        self._open = True

    def write(
        self, data: bytes, timeout: float | None = None, *, document: str | None = None
    ) -> None:
        """Store `data` as the next file; `document` (optional) goes into its name."""
        timeout_seconds(timeout, self.WRITE_TIMEOUT)
        self.open()
        partial = self.folder / f".{os.getpid()}-{secrets.token_hex(6)}.partial"
        try:
            self._write_partial(partial, bytes(data))
            self.last_path = self._publish(partial, self._name_tail(data, document))
        except OSError as exc:
            raise self._error(exc) from exc
        finally:
            partial.unlink(missing_ok=True)
        if self.fsync:
            self._fsync_folder()

    def status(self, timeout: float | None = None) -> PrinterStatus:
        """READY while the folder is there, writable and has at least 1 MiB free."""
        timeout_seconds(timeout, self.STATUS_TIMEOUT)
        if not self.folder.is_dir():
            return PrinterStatus(PrinterState.OFFLINE, f"folder {self.folder} does not exist")
        if not os.access(self.folder, os.W_OK | os.X_OK):
            return PrinterStatus(PrinterState.ERROR, f"folder {self.folder} is not writable")
        free = shutil.disk_usage(self.folder).free
        if free < _MIN_FREE_BYTES:
            return PrinterStatus(
                PrinterState.PAPER_OUT, f"disk holding {self.folder} is full ({free} B free)"
            )
        return PrinterStatus(PrinterState.READY, f"{free // (1 << 20)} MiB free in {self.folder}")

    def close(self) -> None:
        self._open = False

    # ------------------------------------------------------------------ helpers

    def _name_tail(self, data: bytes, document: str | None) -> str:
        parts = [p for p in (self.prefix, safe_name_part(document or "")) if p]
        extension = sniff_extension(data) or self.extension or "bin"
        return "".join(f"-{p}" for p in parts) + f".{extension}"

    def _write_partial(self, path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def _publish(self, partial: Path, tail: str) -> Path:
        """Give `partial` the next sequence number, under the folder's lock."""
        with _FolderLock(self.folder / LOCK_NAME):
            sequence = self._claim_sequence()
            for _ in range(1000):
                target = self.folder / f"{sequence:08d}{tail}"
                try:
                    os.link(partial, target)
                except FileExistsError:  # written by someone who ignores the counter
                    sequence = self._claim_sequence()
                    continue
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                        raise
                    if not self._rename_exclusive(partial, target):
                        sequence = self._claim_sequence()
                        continue
                return target
        raise ExternalError(
            f"file printer: could not find a free file name in {self.folder}",
            folder=str(self.folder),
        )

    @staticmethod
    def _rename_exclusive(partial: Path, target: Path) -> bool:
        """For file systems without hard links: claim the name, then move the bytes in."""
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        os.replace(partial, target)
        return True

    def _claim_sequence(self) -> int:
        """The next number (caller holds the lock). The counter file is written *before*
        the file is linked, so a crash leaves a gap in the numbers, never a duplicate."""
        counter = self.folder / COUNTER_NAME
        try:
            last = int(counter.read_text(encoding="ascii").strip() or 0)
        except (FileNotFoundError, ValueError):
            last = self._highest_in_folder()
        sequence = last + 1
        staged = counter.with_name(f"{COUNTER_NAME}.{os.getpid()}.tmp")
        try:
            staged.write_text(str(sequence), encoding="ascii")
            os.replace(staged, counter)
        finally:
            staged.unlink(missing_ok=True)
        return sequence

    def _highest_in_folder(self) -> int:
        highest = 0
        with os.scandir(self.folder) as entries:
            for entry in entries:
                match = _SEQUENCE.match(entry.name)
                if match:
                    highest = max(highest, int(match.group(1)))
        return highest

    def _fsync_folder(self) -> None:
        """Make the new name durable (POSIX; Windows cannot open folders). The file is
        complete by now, so a failure here is logged, not raised: raising would make the
        job print the document again."""
        if os.name != "posix":
            return
        try:
            fd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            log.warning("file printer: could not fsync folder %s: %s", self.folder, exc)

    def _error(self, exc: OSError) -> Exception:
        where = str(self.folder)
        reason = exc.strerror or str(exc)
        if exc.errno in _DISK_FULL:
            return ExternalError(
                f"file printer: disk full writing to {where}; nothing was written. "
                "Free some space, then resume the job",
                retryable=True,
                folder=where,
            )
        if exc.errno == errno.ENOENT:
            self._open = False
            return DeviceNotFound(f"file printer: folder {where} disappeared", folder=where)
        if exc.errno in _NOT_WRITABLE:
            return ExternalError(
                f"file printer: cannot write to {where}: {reason}", retryable=False, folder=where
            )
        return ExternalError(
            f"file printer: writing to {where} failed: {reason}", retryable=False, folder=where
        )
