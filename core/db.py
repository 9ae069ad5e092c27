"""Engines and sessions for SQLite (embedded default) and PostgreSQL (scale-out).

SQLite gets WAL (readers never block the writer, online backup works while we write),
foreign keys on (off by default in SQLite!) and a busy timeout so a second process waits
instead of failing. PostgreSQL gets the psycopg 3 driver whatever scheme the user typed,
and a pooled connection that sat idle is checked before use (`_ping_if_idle`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConfigurationError
from core.masking import mask_dsn
from core.models.base import json_text


def normalise_url(url: str) -> str:
    """Accept `postgres://`/`postgresql://` and pick psycopg 3; leave SQLite as it is."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def create_db_engine(
    url: str,
    *,
    echo: bool = False,
    must_exist: bool = False,
    bulk_writes: bool = False,
    mmap_mib: int = 0,
) -> Engine:
    """An engine with the pragmas/driver this product relies on. With `must_exist`, a
    SQLite file that is not there is an error instead of a new, empty database: only
    `orderhub init` and `orderhub restore` create one. `bulk_writes`: SQLite connections
    get the large page cache of a process that inserts orders in bulk (see below).
    `mmap_mib`: SQLite connections read the file through a memory map of that size
    (`PRAGMA mmap_size`; 0, the default, reads through the page cache only) — for the
    API's processes (`api.sqlite_mmap_mib`), see `_sqlite_pragmas`."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse text
        raise ConfigurationError(
            f"database URL {mask_dsn(url)!r} is not valid: {mask_dsn(str(exc))}"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            if must_exist and not Path(parsed.database).is_file():
                raise ConfigurationError(
                    f"the database {parsed.database} does not exist: create it with "
                    "`orderhub init` (or `orderhub restore BACKUP`), or point "
                    "ORDERHUB_DATABASE_URL at the right file"
                )
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": 30}, json_serializer=json_text
        )
        cache_kib = BULK_PAGE_CACHE_KIB if bulk_writes else PAGE_CACHE_KIB
        pragmas = partial(_sqlite_pragmas, cache_kib=cache_kib, mmap_mib=mmap_mib)
        event.listen(engine, "connect", pragmas)
        return engine
    if backend == "postgresql":
        engine = create_engine(url, echo=echo, json_serializer=json_text)
        event.listen(engine, "checkin", _note_checkin)
        event.listen(engine, "checkout", _ping_if_idle)
        return engine
    raise ConfigurationError(
        f"database URL {mask_dsn(url)!r}: only sqlite and postgresql are supported, not {backend}"
    )


WAL_AUTOCHECKPOINT_PAGES = 10_000
#: SQLite's own default page cache a connection (2 MiB): enough for the desk and printing,
#: whose memory must not grow with the database (a print runner's RSS stays flat).
PAGE_CACHE_KIB = 2 * 1024
#: Processes that insert orders in bulk (the worker's sync, an import) keep the orders
#: table's seven indexes in memory while they insert in random order — the receiver hash is
#: random by nature: less writer CPU at 100,000 orders (bench/README.md, "Order sync").
BULK_PAGE_CACHE_KIB = 64 * 1024


def _sqlite_pragmas(dbapi_connection, _record, *, cache_kib: int, mmap_mib: int = 0) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 40 MB of WAL before a commit checkpoints by itself (SQLite's default is 4 MB): bulk
    # writes run `core.runtime.checkpoints.background_checkpoints` and should rarely get there.
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
    if mmap_mib:
        # Reads copy no page into the connection's cache: a search at 1,000,000 orders
        # costs ≈ 20 % less CPU (bench/README.md, the API section). The price: the
        # process's resident memory grows with the pages it reads (clean file pages, which
        # the kernel drops under pressure), and an I/O error on the file arrives as SIGBUS
        # instead of an exception. Writes still go through the WAL as before.
        cursor.execute(f"PRAGMA mmap_size={int(mmap_mib) * 1024 * 1024}")
    cursor.close()


#: A PostgreSQL connection idle in the pool longer than this is checked before use.
IDLE_PING_S = 10.0


def _note_checkin(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection, record, proxy) -> None:  # type: ignore[no-untyped-def]
    """Check a connection that sat idle (the server may have restarted or a firewall
    dropped it meanwhile); the pool replaces one that fails. SQLAlchemy's `pool_pre_ping`
    checks every connection at every checkout: a round trip per transaction, which cost
    a third of the API's search throughput on PostgreSQL (bench/README.md). A connection
    in steady use is not checked: if the server drops it, the statement that finds out
    fails and the pool drops every connection of that moment."""
    last = record.info.get("checked_in_at")
    if last is None or time.monotonic() - last <= IDLE_PING_S:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as exc:
        raise DisconnectionError(f"idle connection is gone: {exc}") from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: services return ORM rows that front ends read after commit.
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def plain_connection(session: Session) -> Connection:
    """The session's connection, for a statement of columns (no ORM entities) that runs on
    every request: executing it there skips the ORM's result machinery, ≈ 0.1 ms a query
    (bench/README.md, the API section), and gives the same `Row`s. Pending changes are
    flushed first, as `session.execute` would (unless autoflush is off)."""
    if session.autoflush:
        session.flush()
    return session.connection()


def open_write_transaction(session: Session) -> None:
    """On SQLite, make sure a real transaction with the write lock is open; call it before
    a `begin_nested()` that may be the transaction's first write.

    Python's sqlite3 module begins a transaction only before its first INSERT/UPDATE/
    DELETE; a SAVEPOINT issued before that opens a transaction of its own, which RELEASE
    then *commits* — a later rollback would leave the savepoint's rows written. BEGIN
    IMMEDIATE also takes the write lock before the caller's reads (the order store's
    look-up of existing orders), so no other process can write in between. PostgreSQL
    needs neither.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


def shown_url(engine: Engine) -> str:
    """The engine's URL as messages and logs show it: every password form masked."""
    return mask_dsn(engine.url.render_as_string(hide_password=False))


def database_failure(exc: BaseException) -> str | None:
    """One line saying why the database refused us (down, unreachable, refusing the login,
    a file that is not or no longer a database) when `exc` is the driver's operational or
    plain database error; None for any other exception (constraint and data errors are
    bugs to fix, not conditions to report). Front ends print it instead of a traceback; a
    driver quoting the connection string is masked."""
    if not (isinstance(exc, OperationalError) or type(exc) is DatabaseError):
        return None
    return mask_dsn(str(exc.orig or exc).strip().splitlines()[0])
