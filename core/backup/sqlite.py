"""SQLite side of `core.backup.service`: the online backup API, forwards and in reverse.

Why not copy the file: a copy taken while a writer commits (or with a WAL beside it) can be
torn. The backup API copies pages of one consistent state. It copies `PAGES_PER_STEP` pages,
lets go of the read lock, and continues, so writers get in between steps. The catch (SQLite
docs, `sqlite3_backup_step`): a write by another connection restarts the copy, so a steady
stream of writes can restart it forever. After `MAX_RESTARTS` we copy in a single step
instead: that is one read transaction, a consistent snapshot, and in WAL mode (which
`core.db` always sets) readers do not block writers, so the app keeps writing meanwhile.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

from core.backup.files import create_private
from core.errors import Conflict, ValidationError

PAGES_PER_STEP = 256
MAX_RESTARTS = 5


class Snapshot(NamedTuple):
    """What a backend copied, counted inside the copy itself (shared by `core.backup.postgres`)."""

    tables: dict[str, int]
    alembic_revision: str | None
    server_version: str
    method: str


class _Restarted(Exception):
    """The paged copy restarted too often because of concurrent writes."""


def backup(source: Path, dest: Path, *, pages: int = PAGES_PER_STEP) -> Snapshot:
    """Copy the live database `source` into the new file `dest`; counts come from `dest`."""
    with closing(sqlite3.connect(source, timeout=30)) as src:
        method = "paged"
        try:
            _copy(src, dest, pages, MAX_RESTARTS)
        except _Restarted:
            dest.unlink(missing_ok=True)
            _copy(src, dest, -1, None)
            method = "single-step"
    with closing(sqlite3.connect(dest)) as copy:
        # The copied header says WAL; a backup is one self-contained file, so say DELETE.
        copy.execute("PRAGMA journal_mode=DELETE").fetchall()
        problem = copy.execute("PRAGMA quick_check").fetchone()[0]
    if problem != "ok":
        raise ValidationError(f"the backup copy of {source} failed SQLite's check: {problem}")
    tables, revision = counts_of(dest)
    return Snapshot(tables, revision, f"sqlite {sqlite3.sqlite_version}", method)


def _copy(src: sqlite3.Connection, dest: Path, pages: int, max_restarts: int | None) -> None:
    state = {"remaining": -1, "restarts": 0}

    def progress(_status: int, remaining: int, _total: int) -> None:
        # A restart shows as "remaining did not go down" after a step.
        if state["remaining"] >= 0 and remaining >= state["remaining"]:
            state["restarts"] += 1
            if max_restarts is not None and state["restarts"] > max_restarts:
                raise _Restarted
        state["remaining"] = remaining

    create_private(dest)  # SQLite would create it 0644; its journal copies the file's mode
    with closing(sqlite3.connect(dest)) as target:
        src.backup(target, pages=pages, progress=progress, sleep=0.01)


def restore(backup_file: Path, target: Path) -> None:
    """Write the backup into `target` page by page (the backup API in reverse)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL").fetchall()


def existing_tables(path: Path) -> dict[str, int]:
    """Tables (with row counts) in `path`; empty when the file is missing or new.

    Any table counts, not only orderhub's: restore replaces the whole file, so whatever is
    there would be lost.
    """
    if not path.exists():
        return {}
    try:
        return counts_of(path)[0]
    except sqlite3.DatabaseError as exc:  # e.g. "file is not a database"
        raise Conflict(
            f"restore target {path} exists and is not an empty SQLite database ({exc}); "
            "nothing was changed"
        ) from exc


def counts_of(path: Path) -> tuple[dict[str, int], str | None]:
    """Rows per table and the Alembic revision (None when there is none) of a SQLite file."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        tables = {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    return tables, revision
