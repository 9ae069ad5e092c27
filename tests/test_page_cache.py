"""SQLite's page cache per connection: the large one only where orders are inserted in
bulk (the worker, imports), so a print runner's or the desk's memory does not grow with
the database (issue 4's flat-memory target, bench/print_bench.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core.db import BULK_PAGE_CACHE_KIB, PAGE_CACHE_KIB, create_db_engine


def _cache_kib(url: str, **kwargs: bool) -> int:
    engine = create_db_engine(url, **kwargs)
    try:
        with engine.connect() as conn:
            return -int(conn.execute(text("PRAGMA cache_size")).scalar_one())
    finally:
        engine.dispose()


def test_only_bulk_writers_get_the_large_page_cache(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert _cache_kib(url) == PAGE_CACHE_KIB == 2048
    assert _cache_kib(url, bulk_writes=True) == BULK_PAGE_CACHE_KIB == 64 * 1024
