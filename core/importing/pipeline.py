"""Big imports on two cores: a reader process parses and checks the file while this
process stores what it has read, in its one transaction.

The reader runs the code a one-process import runs (`checked_batches`), so batches, report
and stored rows are the same; it stays at most `SEND_AHEAD` batches ahead, encodes rows
too when storing is the slower side (`_Balance`), and dies with its parent. An error in
the reader is raised here; a reader that dies fails the import (`ImportFailed`) and rolls
it back. Files under `PARALLEL_MIN_ROWS` rows stay in one process (`worth_a_reader`).
docs/architecture.md, "Big imports on two cores", has the reasoning.
"""

from __future__ import annotations

import copyreg
import gc
import io
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from multiprocessing.connection import Connection
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, BinaryIO

from core.contracts import ImportFormat, OrderStatus, PlatformOrder, RefundStatus
from core.crypto import install_keyring
from core.errors import OrderhubError, PluginError
from core.importing.checks import Limits, checked_batches
from core.importing.report import ImportReport
from core.runtime.processes import class_at, die_with_parent, end_processes, main_not_rerun

if TYPE_CHECKING:
    from core.orders.rows import OrderEncoder

log = logging.getLogger("orderhub.importing")

#: Files with fewer rows than this are read in the importing process itself.
PARALLEL_MIN_ROWS = 2000
#: A workbook's rows are compressed XML: about this many bytes per export row, or more.
XLSX_BYTES_PER_ROW = 100
XLSX_MAGIC = b"PK\x03\x04"
BATCH_KINDS = frozenset({"orders", "prepared"})
WATCH_SECONDS = 1.0
JOIN_SECONDS = 10.0
#: Messages (batches) the reader may have written ahead of the importer's reading.
SEND_AHEAD = 3


class ImportFailed(OrderhubError):
    """The import could not run to its end for a reason outside the file (its reader
    process died); nothing was imported."""

    code = "import_failed"
    http_status = 500


def worth_a_reader(stream: BinaryIO) -> bool:
    """Whether the file has `PARALLEL_MIN_ROWS` rows or more, judged cheaply: line breaks
    counted up to that many (a quoted line break counts too: it is an estimate), or a
    workbook's size. The stream is left where it was."""
    start = stream.tell()
    try:
        if stream.read(4) == XLSX_MAGIC:
            return stream.seek(0, os.SEEK_END) - start >= PARALLEL_MIN_ROWS * XLSX_BYTES_PER_ROW
        stream.seek(start)
        breaks = 0
        while chunk := stream.read(256 * 1024):
            breaks += chunk.count(b"\n")
            if breaks > PARALLEL_MIN_ROWS:  # the header's line break is not a row
                return True
        return False
    finally:
        stream.seek(start)


def reader_job(
    chosen: ImportFormat,
    path: str,
    report: ImportReport,
    limits: Limits,
    encoder: OrderEncoder,
    keep: bool,
) -> ReaderJob | None:
    """What a reader process needs, or None when `chosen` cannot be rebuilt in one (a
    format class defined where no import can find it, settings that do not pickle)."""
    cls = type(chosen)
    try:
        found = class_at(cls.__module__, cls.__qualname__)
        settings = dict(chosen.settings)
        pickle.dumps(settings)
    except Exception:  # any reason at all means: read it here
        found = None
    if found is not cls:
        log.info("import format %r is read in-process: its class cannot be imported", cls.name)
        return None
    return ReaderJob(
        path=path,
        filename=report.filename,
        format_module=cls.__module__,
        format_class=cls.__qualname__,
        settings=settings,
        dry_run=report.dry_run,
        partial=report.partial,
        limits=limits,
        parent_pid=os.getpid(),
        encoder=pickle.dumps(encoder, pickle.HIGHEST_PROTOCOL),
        keep=keep,
    )


@dataclass(frozen=True)
class ReaderJob:
    """Everything the reader process needs (picklable; the encoder travels as its
    backend's name and the keyring's keys)."""

    path: str
    filename: str
    format_module: str
    format_class: str
    settings: Mapping[str, Any]
    dry_run: bool
    partial: bool
    limits: Limits
    parent_pid: int
    #: The importer's `OrderEncoder`, pickled (its backend's name and the keyring's keys):
    #: unpickled only when the reader first encodes, so that a reader that never does —
    #: a dry run, a fast importer — never loads the database layer.
    encoder: bytes
    keep: bool  # prepared orders keep their PlatformOrder (for `order_synced` listeners)


class Reader:
    """The reader process, from the importing side: start it with `with`, take its
    batches, then `reading` holds what it counted. Leaving the block ends the process,
    whatever happened."""

    def __init__(self, job: ReaderJob) -> None:
        self.job = job
        self.reading: ImportReport | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._pipe: Connection | None = None

    def __enter__(self) -> Reader:
        context = multiprocessing.get_context("spawn")
        receiving, sending = context.Pipe(duplex=False)
        process = context.Process(
            target=read_file,
            args=(self.job, sending),
            name="orderhub-import-reader",
            daemon=True,
        )
        with main_not_rerun():
            process.start()
        sending.close()  # the reader's end is the only one left: its death is our EOF
        self._process, self._pipe = process, receiving
        return self

    def __exit__(self, *exc: object) -> None:
        process, pipe = self._process, self._pipe
        assert process is not None and pipe is not None
        # Not finished: whatever went wrong, stop it now. Finished: it is exiting; one
        # that does not within JOIN_SECONDS is killed all the same.
        end_processes([process], JOIN_SECONDS, kill=self.reading is None)
        pipe.close()

    def batches(self) -> Iterator[tuple[str, list[Any], list[int]]]:
        """The checked batches in file order, each as (kind, items, rows): `orders` (the
        PlatformOrders; always on a dry run) or `prepared` (the same, encoded:
        `PreparedOrder`s), and the orders' rows. An error of the reader's is raised
        here."""
        assert self._pipe is not None and self._process is not None
        while True:
            try:
                # Its death is our EOF; looking at it too costs nothing and holds even if
                # something else kept the pipe's other end open.
                while not self._pipe.poll(WATCH_SECONDS):
                    if not self._process.is_alive() and not self._pipe.poll(0):
                        raise EOFError
                kind, payload = self._pipe.recv()
            except (EOFError, OSError):
                raise self._died() from None
            if kind in BATCH_KINDS:
                items, rows = payload
                yield kind, items, rows
            elif kind == "done":
                self.reading = payload
                return
            else:
                exc, trace = payload
                if not isinstance(exc, OrderhubError):  # a bug, not a bad file: keep its trace
                    log.error("import reader failed:\n%s", trace)
                raise exc

    def _died(self) -> ImportFailed:
        process = self._process
        assert process is not None
        process.join(JOIN_SECONDS)
        code = process.exitcode
        how = f"exit code {code}"
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        return ImportFailed(
            f"{self.job.filename}: the import's reader process stopped ({how}); nothing "
            "was imported — try again, and if it happens again, with less memory in use",
            file=self.job.filename,
        )


# ------------------------------------------------------------------ in the reader process


def read_file(job: ReaderJob, pipe: Connection) -> None:
    """The reader process: parse and check the file, send batches, then the counts."""
    die_with_parent(job.parent_pid)
    sender = _Sender(pipe)
    try:
        cls = class_at(job.format_module, job.format_class)
        # Parsing is pure (docs/plugins.md): the format gets its settings, no services.
        chosen: ImportFormat = cls(job.settings, None)
        report = ImportReport(
            job.filename, chosen.name, 0, dry_run=job.dry_run, partial=job.partial
        )
        gc.freeze()  # what is loaded by now lives as long as the process: never scan it
        balance = _Balance()
        encoder: OrderEncoder | None = None
        with open(job.path, "rb") as stream:
            for batch, rows in checked_batches(chosen, stream, report, job.limits):
                # A dry run compares the orders an import brings again with what is
                # stored, so they travel whole; never encoded here (that needs the
                # database layer, which a dry run's reader does not load).
                if not job.dry_run and balance.encode_next():
                    encoder = encoder or _encoder(job.encoder)
                    began = time.perf_counter()
                    message: tuple[str, Any] = (
                        "prepared",
                        (encoder.encode(batch, keep=job.keep), rows),
                    )
                    balance.encoded(time.perf_counter() - began)
                else:
                    message = ("orders", (batch, rows))
                balance.waited(sender.put(_dumps(message)))
        sender.put(_dumps(("done", report)))
        sender.close()
    except (BrokenPipeError, ConnectionResetError):
        os._exit(1)  # the importing side is gone: nobody to tell
    except BaseException as exc:  # the importing side raises it, as if it had read the file
        failure = (_transportable(exc, job.format_class), traceback.format_exc())
        try:
            sender.put(_dumps(("error", failure)))
            sender.close()
        except OSError:
            os._exit(1)
    finally:
        pipe.close()


class _Sender:
    """Writes the reader's messages to the pipe from a thread, up to `SEND_AHEAD` of them
    ahead of the importer (bounded memory: a few batches): the reader parses on while a
    batch is in the pipe, and a slow batch on either side does not stall the other."""

    def __init__(self, pipe: Connection) -> None:
        self.pipe = pipe
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=SEND_AHEAD)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._send, name="import-sender", daemon=True)
        self.thread.start()

    def put(self, data: bytes | None) -> float:
        """Queue `data`; returns the seconds spent waiting for room (the importer was
        still busy). Raises what sending raised (a broken pipe: the importer is gone)."""
        began = time.perf_counter()
        while True:
            if self.failure is not None:
                raise self.failure
            try:
                self.queue.put(data, timeout=WATCH_SECONDS)
            except queue.Full:
                continue
            return time.perf_counter() - began

    def close(self) -> None:
        """Wait until everything queued is written. The wait is the importer's to end:
        it reads on, or kills this process (and a dead importer takes it along)."""
        self.put(None)
        while self.thread.is_alive():
            self.thread.join(WATCH_SECONDS)
        if self.failure is not None:
            raise self.failure

    def _send(self) -> None:
        try:
            while (data := self.queue.get()) is not None:
                self.pipe.send_bytes(data)
        except BaseException as exc:  # handed to the reader's thread by `put`/`close`
            self.failure = exc


class _Balance:
    """Which batches the reader encodes itself (`OrderEncoder.encode`: column values,
    encryption — the costliest step of storing), so that both processes stay busy.

    Time the reader spends waiting for room to send (`SEND_AHEAD` batches are queued
    already) is time the importer was the slower side: the reader had a core to spare.
    That time is banked, and a batch is encoded here whenever the bank holds what
    encoding one costs (measured); otherwise it travels as PlatformOrders and the
    importer encodes it. Either way the importer writes exactly what `upsert_orders`
    would."""

    def __init__(self) -> None:
        self.bank = 0.0
        self.cost: float | None = None  # seconds to encode a batch, once measured

    def encode_next(self) -> bool:
        if self.cost is None:  # at the first spare moment, encode one to learn the cost
            return self.bank > 0
        return self.bank >= self.cost

    def encoded(self, seconds: float) -> None:
        self.cost = seconds if self.cost is None else (self.cost + seconds) / 2
        self.bank = max(0.0, self.bank - seconds)

    def waited(self, seconds: float) -> None:
        self.bank += seconds


def _dumps(message: tuple[str, Any]) -> bytes:
    """`message` pickled for the importer, PlatformOrders and their statuses by state (see
    `_REDUCERS`)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(message)
    return buffer.getvalue()


def _order_state(order: PlatformOrder) -> tuple[Any, ...]:
    """A PlatformOrder as its attributes (the frozen `raw` as a plain dict). The order was
    checked when the reader built it, so the importer restores it as it is — pickle's
    way with any object — instead of building and checking it again, which is what
    `PlatformOrder.__reduce__` does and twice the cost (the dataclass's fields looked up,
    then every check, for 100,000 orders)."""
    attributes = getattr(order, "__dict__", None)
    if attributes is None:  # a PlatformOrder with __slots__: its own way, then
        return order.__reduce__()
    state = attributes.copy()
    state["raw"] = dict(order.raw)
    return (_restored_order, (state,))


def _restored_order(state: dict[str, Any]) -> PlatformOrder:
    order = object.__new__(PlatformOrder)
    state["raw"] = MappingProxyType(state["raw"])
    order.__dict__.update(state)
    return order


def _member(member: Enum) -> tuple[Any, ...]:
    """An enum member by name: restored by a `getattr`, not the enum's Python `__call__`."""
    return (getattr, (type(member), member.name))


_REDUCERS: dict[type, Any] = {
    **copyreg.dispatch_table,
    PlatformOrder: _order_state,
    OrderStatus: _member,
    RefundStatus: _member,
}


def _encoder(pickled: bytes) -> OrderEncoder:
    """The importer's encoder, and its keyring installed (encrypted columns use it)."""

    encoder: OrderEncoder = pickle.loads(pickled)
    install_keyring(encoder.keyring)
    return encoder


def _transportable(exc: BaseException, format_class: str) -> BaseException:
    """`exc` if it survives pickling (orderhub's errors do), else one that says what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # whatever breaks, the message still travels
        return PluginError(f"import format {format_class} failed: {type(exc).__name__}: {exc}")
    return exc
