"""Background WAL checkpoints (core.runtime.checkpoints) keep SQLite's WAL small in bulk writes."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from core.db import create_db_engine
from core.runtime.checkpoints import background_checkpoints

ROW = "x" * 4000


def _write(engine, commits: int) -> int:
    """`commits` transactions of 100 rows of 4 KB; the WAL file's largest size seen."""
    wal = Path(f"{engine.url.database}-wal")
    largest = 0
    for _ in range(commits):
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": ROW}] * 100)
        largest = max(largest, wal.stat().st_size if wal.exists() else 0)
        time.sleep(0.02)
    return largest


def _database(path: Path):  # type: ignore[no-untyped-def]
    engine = create_db_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    return engine


def test_wal_stays_small_while_checkpoints_run_in_the_background(tmp_path) -> None:
    plain, bulk = _database(tmp_path / "plain.db"), _database(tmp_path / "bulk.db")
    without = _write(plain, 40)  # ~16 MB: below the writer's own 40 MB threshold
    with background_checkpoints(bulk, every=0.01):
        with_thread = _write(bulk, 40)
    with bulk.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 4000
    plain.dispose()
    bulk.dispose()
    assert without > 12 * 2**20
    assert with_thread < without / 3, (with_thread, without)


def test_a_memory_database_gets_no_checkpoint_thread() -> None:
    import threading

    engine = create_db_engine("sqlite://")
    with background_checkpoints(engine, every=0.01):
        assert "wal-checkpoint" not in {t.name for t in threading.enumerate()}
