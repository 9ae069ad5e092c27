"""Order import from files (CSV/XLSX): validate every row, then store all of it or nothing.

An `ImportFormat` plugin reads the file (`pdd-export`, `mapped`, …); this service decides
what is stored. Rules, in the order a merchant meets them:

- `order.import` is needed, and the shop must be the actor's (another org's shop is "not
  found"). The format is the one asked for, or the only one whose `sniff` accepts the file.
- Every row is checked, and the report names row, column and problem. Core adds checks
  every format shares (`core.importing.checks`): an order number twice with different content
  (error) or the same content (counted once), values longer than the database keeps
  (error), and a receiver known only masked (`张**`): stored, tagged `receiver_masked` and
  warned about, because our own labels cannot be printed for it.
- **All or nothing.** The whole import is one database transaction: batches are upserted
  as rows stream in, and any row error — or any failure at all, up to a killed process —
  rolls the transaction back, so no half-imported file is ever visible. With `partial`
  exactly the rows without errors are stored. `dry_run` only reads: it classifies valid
  rows as new / updated / unchanged against what is stored and writes nothing.
- **Idempotent.** Orders go through `order_store.upsert_orders` (source "import"), keyed by
  (shop, order number) and never going backwards on the order's update time, which formats
  derive from the row's own times — so importing the same file again changes nothing.
- **Corrections.** A corrected file (a price, a receiver's address) keeps those times, so
  a copy that is not newer is compared with the stored order (`order_store.judge`): one
  that differs from an earlier import's copy of the same time is applied and counted as
  updated and corrected, with a warning on its row; one that differs from a newer copy,
  or from the platform's own, is not applied, and its row's warning says so. Never
  silently "unchanged".
- Assignment rules, auto-merge and the audit rules (审单) run on every stored order in
  the import's transaction (`core.auditing.admission`; the single-order rules where the
  rows are encoded): those that pass are approved, the others queued.
- An audit event `order.import` (file name, format, counts, shop) is written with the
  import, or alone when a file is rejected; neither it nor the log carries buyer data.
- Big files (`import_pipeline.PARALLEL_MIN_ROWS` rows and more) are read in a second
  process while this one stores (`core.importing.pipeline`): the same rules, on two cores.
- Progress (`core.runtime.progress`): one task per import, its total unknown (the file is
  read as it streams), a step per batch of orders stored or classified.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import tabular
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.auditing import precheck
from core.auditing.admission import Admission
from core.contracts import ImportFormat, PlatformOrder
from core.errors import NotFound, ValidationError
from core.importing import pipeline as import_pipeline
from core.importing.checks import BATCH_SIZE as BATCH_SIZE  # orders per upsert, re-exported
from core.importing.checks import Limits, checked_batches
from core.importing.report import ImportReport
from core.models import Order, OrderLine, Shop
from core.orders import store as order_store
from core.orders.rows import OrderEncoder
from core.runtime.progress import Progress, guarded

log = logging.getLogger("orderhub.importing")

HEAD_BYTES = 64 * 1024
SPOOL_BYTES = 16 * 1024 * 1024
ORDERS = Order.__table__


def _limits() -> Limits:
    """Column lengths for the strings `RowChecker` measures, in the same order."""
    o, line = ORDERS.c, OrderLine.__table__.c
    order = (
        o.platform_order_no,
        o.platform_status,
        o.flag_color,
        o.receiver_province,
        o.receiver_city,
        o.receiver_district,
        o.receiver_name_masked,
        o.receiver_phone_masked,
        o.receiver_address_masked,
    )
    lines = (line.platform_sku_id, line.platform_goods_id, line.outer_id, line.title, line.spec)
    return Limits(tuple(c.type.length for c in order), tuple(c.type.length for c in lines))


LIMITS = _limits()
#: A batch's stored update times, one statement for every batch, the numbers bound as one
#: parameter (`order_store.shop_numbers`), not compiled in as 1,000 literals.
_STORED = select(ORDERS.c.platform_order_no, ORDERS.c.platform_updated_at)
STORED = {name: _STORED.where(*order_store.shop_numbers(name)) for name in ("postgresql", "sqlite")}


def import_orders(
    app: App,
    actor: Actor,
    shop_id: int,
    path_or_stream: str | os.PathLike[str] | BinaryIO,
    filename: str | None = None,
    format: str | None = None,  # the user-facing name of the option (--format)
    mapping: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    dry_run: bool = False,
    partial: bool = False,
    parallel: bool | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import one file into a shop and report on every row (see the module docstring).

    `parallel`: read the file in a second process while this one stores what it read
    (`core.importing.pipeline`; same results). None decides by the file's size; True and
    False force it (True still reads in-process a format no other process can load).
    `progress` is told of each batch of orders read (see the module docstring).

    Raises `ValidationError` for a file that cannot be read at all (wrong kind, encoding,
    a required column missing, no or several matching formats), `PermissionDenied`
    without `order.import`, `NotFound` for a shop outside the actor's org, and
    `ImportFailed` when the reader process died (nothing is imported then either).
    """
    name = _display_name(path_or_stream, filename)
    with app.tx() as session:
        authz.require(session, actor, "order.import")
        shop = session.get(Shop, shop_id)
        if shop is None or shop.org_id != actor.org_id:
            raise NotFound(f"no shop with id {shop_id}")
    settings = {"mapping": load_mapping(mapping)} if mapping is not None else {}
    with _opened(path_or_stream) as stream:
        start = stream.tell()
        head = stream.read(HEAD_BYTES)
        stream.seek(start)
        chosen = choose_format(app, name, head, format, settings)
        report = ImportReport(name, chosen.name, shop_id, dry_run=dry_run, partial=partial)
        run = _Run(app, actor, shop_id, report, guarded(progress))
        if parallel is False or (parallel is None and not _worth_a_reader(stream)):
            run.run(chosen, stream)
        else:
            with _on_disk(path_or_stream, stream) as path:
                run.run(chosen, stream, path)
    log.info("order import %s into shop %s: %s", name, shop_id, report.summary())
    return report


def choose_format(
    app: App, filename: str, head: bytes, name: str | None, settings: Mapping[str, Any]
) -> ImportFormat:
    """The format called `name`, else `mapped` when a mapping is given, else the single
    registered format whose `sniff` accepts the file."""
    formats = app.plugins.import_formats()
    known = ", ".join(sorted(formats)) or "none installed"
    if name is None and settings.get("mapping") is not None:
        name = "mapped"
    if name is not None:
        if name not in formats:
            raise ValidationError(f"unknown import format {name!r}; known: {known}", field="format")
        return formats[name](settings, app.plugins.services)
    matches = []
    for cls in formats.values():
        instance = cls(settings, app.plugins.services)
        try:
            if instance.sniff(filename, head):
                matches.append(instance)
        except Exception:  # a broken third-party sniff must not stop the others
            log.exception("import format %r failed to sniff %s", cls.name, filename)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        _check_readable(filename, head)
        raise ValidationError(
            f"{filename}: no import format recognises this file; choose one with --format "
            f"(known: {known}), or give a column mapping with --mapping",
            field="format",
        )
    raise ValidationError(
        f"{filename}: several import formats could read this file "
        f"({', '.join(sorted(m.name for m in matches))}); choose one with --format",
        field="format",
    )


def _check_readable(filename: str, head: bytes) -> None:
    """When no format matched because of the bytes themselves (an encoding we do not read,
    binary data), say that instead. (The header is not quoted: in a file without one, the
    first row would be a buyer's order.)"""
    if head[:4] != tabular.XLSX_MAGIC:
        tabular.detect_encoding(head, complete=len(head) < HEAD_BYTES, filename=filename)


def load_mapping(mapping: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """A column mapping from a TOML or JSON file (or an already loaded mapping)."""
    if isinstance(mapping, Mapping):
        return dict(mapping)
    path = Path(mapping)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(
            f"mapping file {path}: cannot read it ({exc})", field="mapping"
        ) from None
    as_json = path.suffix.lower() == ".json" or (
        path.suffix.lower() != ".toml" and text.lstrip().startswith("{")
    )
    try:
        data = json.loads(text) if as_json else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "JSON" if as_json else "TOML"
        raise ValidationError(
            f"mapping file {path}: not valid {kind}: {exc}", field="mapping"
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(f"mapping file {path}: must hold a table/object", field="mapping")
    return data


class _Run:
    """One import: stores the checked batches in one transaction, then audits."""

    def __init__(
        self, app: App, actor: Actor, shop_id: int, report: ImportReport, progress: Progress
    ) -> None:
        self.app = app
        self.progress = progress
        self.actor = actor
        self.shop_id = shop_id
        self.report = report
        hook = app.plugins.pm.hook.order_synced
        self.events: list[tuple[int, PlatformOrder, bool]] | None = (
            [] if hook.get_hookimpls() else None  # keep orders for events only if heard
        )

    def run(self, chosen: ImportFormat, stream: BinaryIO, path: str | None = None) -> None:
        """Read in this process, or — given the file's `path` — in a reader process that
        sends the same batches (`core.importing.pipeline`)."""
        report = self.report
        session = self.app.sessions()
        self.progress.start(None, "orders", report.filename)
        try:
            encoder = order_store.encoder_for(
                session,
                self.app.keyring,
                org_id=self.actor.org_id,
                shop_id=self.shop_id,
                source="import",
                precheck=precheck.for_org(session, self.actor.org_id),
            )
            job = None
            if path is not None:
                keep = self.events is not None
                job = import_pipeline.reader_job(chosen, path, report, LIMITS, encoder, keep)
            if job is None:
                for batch, rows in checked_batches(chosen, stream, report, LIMITS):
                    self._store(session, encoder, batch, rows)
                    self._advance(len(batch))
            else:
                with import_pipeline.Reader(job) as reader:
                    for kind, batch, rows in reader.batches():
                        self._store(session, encoder, batch, rows, kind)
                        self._advance(len(batch))
                assert reader.reading is not None
                report.merge_reading(reader.reading)
            self.progress.finish()
            if report.dry_run:
                session.rollback()
                return
            report.imported = report.partial or report.invalid == 0
            if not report.imported:
                session.rollback()
            self._audit(session)
            session.commit()
        except BaseException:
            session.rollback()
            report.imported = False
            raise
        finally:
            session.close()
        if report.imported and self.events:
            for order_id, order, created in self.events:
                self.app.plugins.emit(
                    "order_synced",
                    org_id=self.actor.org_id,
                    shop_id=self.shop_id,
                    order_id=order_id,
                    order=order,
                    created=created,
                )

    def _advance(self, orders: int) -> None:
        r = self.report
        self.progress.advance(orders, new=r.new, updated=r.updated, unchanged=r.unchanged)

    def _store(
        self,
        session: Session,
        encoder: OrderEncoder,
        batch: list[Any],
        rows: list[int],
        kind: str = "orders",
    ) -> None:
        """One batch, its orders' `rows` beside it: `orders` (PlatformOrders) or `prepared`
        (the same, encoded by the reader process: `upsert_orders` is `encode` then
        `write_prepared`) are upserted; on a dry run the `orders` are classified."""
        if self.report.dry_run:
            self._classify(session, encoder, batch, rows)
            return
        prepared = (
            batch if kind == "prepared" else encoder.encode(batch, keep=self.events is not None)
        )
        result = Admission(session, self.actor.org_id).store(encoder, prepared)  # 审单
        self.report.new += result.new
        self.report.updated += result.updated
        self.report.unchanged += result.unchanged
        if result.corrected or result.kept:
            verdicts = dict.fromkeys(result.corrected, order_store.CORRECTION) | result.kept
            self._judged(verdicts, [p.number for p in prepared], rows)
        if self.events is not None:
            self.events += [
                (result.stored[p.number], p.order, p.number in result.created)
                for p in prepared
                if p.number in result.stored and p.order is not None
            ]

    def _classify(
        self, session: Session, encoder: OrderEncoder, orders: list[PlatformOrder], rows: list[int]
    ) -> None:
        """What `upsert_orders` would do, from a read: new, newer (updated), or — for a
        copy that is not newer — what `order_store.judge` decides, as the import does."""
        numbers = [o.order_number for o in orders]
        statement = STORED[session.get_bind().dialect.name]
        params = {"shop_id": self.shop_id, "numbers": numbers}
        stored = dict(session.execute(statement, params).all())
        held = []
        for order in orders:
            number = order.order_number
            if number not in stored:
                self.report.new += 1
            elif stored[number] is None or order.updated_at > stored[number]:
                self.report.updated += 1
            else:
                held.append(order)
        if not held:
            return
        verdicts = order_store.judge(session, encoder, encoder.encode(held))
        for verdict in verdicts.values():
            if verdict == order_store.CORRECTION:
                self.report.updated += 1
            else:
                self.report.unchanged += 1
        self._judged(verdicts, numbers, rows)

    def _judged(self, verdicts: dict[str, str], numbers: list[str], rows: list[int]) -> None:
        """Count and warn about copies that differ from the stored order (`verdicts` of
        `order_store.judge`), on their rows. Order numbers only: no buyer data."""
        report = self.report
        row_of = dict(zip(numbers, rows, strict=True))
        applied, kept = ("would be", "would not be") if report.dry_run else ("was", "was not")
        for number, verdict in verdicts.items():
            if verdict == order_store.UNCHANGED:
                continue
            if verdict == order_store.CORRECTION:
                report.corrected += 1
                message = (
                    f"order {number} corrected: it differs from the copy of the same time "
                    f"an earlier import stored, and the file's copy {applied} stored"
                )
            else:
                report.not_applied += 1
                why = (
                    "is newer" if verdict == order_store.NEWER else "came from the platform's sync"
                )
                message = (
                    f"order {number} differs from the stored copy, which {why}; the file's "
                    f"copy {kept} applied"
                )
            report.add_warning(row_of[number], message)

    def _audit(self, session: Session) -> None:
        """In the import's transaction; after a rejection, alone (the rollback came first)."""
        r = self.report
        audit.record(
            session,
            "order.import",
            actor=self.actor,
            target_type="shop",
            target_id=self.shop_id,
            after=r.audit_view(),
            detail=f"{r.filename}: {r.summary()}",
        )


def _display_name(source: object, filename: str | None) -> str:
    """The file's base name only: a full path may name the user's folders."""
    if filename:
        return os.path.basename(filename) or filename
    if isinstance(source, str | os.PathLike):
        return os.path.basename(os.fspath(source))
    return os.path.basename(str(getattr(source, "name", "") or "")) or "upload"


def _worth_a_reader(stream: BinaryIO) -> bool:
    """A big file, and a second core to read it on."""
    return (os.cpu_count() or 1) > 1 and import_pipeline.worth_a_reader(stream)


@contextmanager
def _on_disk(source: str | os.PathLike[str] | BinaryIO, stream: BinaryIO) -> Iterator[str]:
    """A path the reader process can open: the file's own, or a temporary copy of the
    stream from where it stands (an upload, a pipe), removed afterwards."""
    if isinstance(source, str | os.PathLike):
        yield os.path.abspath(source)
        return
    start = stream.tell()
    with tempfile.NamedTemporaryFile(prefix="orderhub-import-", delete=False) as copy:
        shutil.copyfileobj(stream, copy, 1024 * 1024)
    stream.seek(start)  # should the format have to be read here after all
    try:
        yield copy.name
    finally:
        os.unlink(copy.name)


@contextmanager
def _opened(source: str | os.PathLike[str] | BinaryIO) -> Iterator[BinaryIO]:
    """A seekable binary stream: the file at a path, the stream itself, or a spooled copy
    of a stream that cannot seek (a pipe, an upload)."""
    if isinstance(source, str | os.PathLike):
        try:
            handle = open(source, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise ValidationError(f"cannot open {source}: {exc.strerror}", field="file") from None
        with handle:
            yield handle
        return
    try:
        seekable = source.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if seekable:
        yield source
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        while chunk := source.read(1024 * 1024):
            spool.write(chunk)
        spool.seek(0)
        yield spool  # type: ignore[misc]
