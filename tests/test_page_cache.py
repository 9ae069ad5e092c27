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


def _mmap_bytes(url: str, **kwargs: int) -> int:
    engine = create_db_engine(url, **kwargs)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("PRAGMA mmap_size")).scalar_one())
    finally:
        engine.dispose()


def test_only_the_api_maps_the_database_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert _mmap_bytes(url) == 0
    assert _mmap_bytes(url, mmap_mib=64) == 64 * 1024 * 1024


def test_serve_opens_the_core_app_with_the_api_mmap_setting(tmp_path: Path) -> None:
    from dataclasses import replace

    from cryptography.fernet import Fernet

    from api.app import create_app
    from core.config import ApiSettings, Settings
    from core.db import create_db_engine as create
    from core.models.base import Base
    from tests.api.asgi_client import asgi_client

    db = tmp_path / "hub.db"
    Base.metadata.create_all(create(f"sqlite:///{db}"))
    settings = replace(
        Settings(
            data_dir=tmp_path,
            database_url=f"sqlite:///{db}",
            secret_key=Fernet.generate_key().decode(),
        ),
        api=ApiSettings(sqlite_mmap_mib=32),
    )
    with asgi_client(create_app(settings)) as client:
        engine = client.app.state.core.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA mmap_size")).scalar_one() == 32 * 1024 * 1024
