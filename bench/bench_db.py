"""A fresh, migrated database for a benchmark run, on either backend (shared by the
import and sync benches)."""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path


def fresh_database(backend: str, workdir: Path) -> tuple[str, object]:
    """A fresh migrated database and a cleanup callable."""
    from sqlalchemy import create_engine, text

    from core import migrate
    from core.db import create_db_engine, normalise_url

    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        cleanup = lambda: None  # noqa: E731
    else:
        admin_url = os.environ.get("ORDERHUB_TEST_PG_URL")
        if not admin_url:
            sys.exit("--backend postgres needs ORDERHUB_TEST_PG_URL")
        name = f"orderhub_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin.url.set(database=name).render_as_string(hide_password=False)

        def cleanup() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    engine = create_db_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url, cleanup
