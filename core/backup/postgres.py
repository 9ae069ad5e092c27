"""PostgreSQL side of `core.backup.service`: `pg_dump` / `pg_restore`, driven from a snapshot.

The row counts in the manifest must describe exactly what the dump holds. So we open a
REPEATABLE READ transaction, export its snapshot (`pg_export_snapshot`), count rows in it,
and run `pg_dump --snapshot=…` while that transaction stays open: dump and counts see the
same instant, however many writers are busy meanwhile (none of them is blocked).

Passwords never go on a command line (visible in `ps`) or in logs: libpq gets them through
PGPASSWORD in the child's environment.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from core.backup.files import create_private
from core.backup.sqlite import Snapshot
from core.db import normalise_url, shown_url
from core.errors import ConfigurationError
from core.masking import mask_dsn

log = logging.getLogger("orderhub.backup")

TIMEOUT_SECONDS = 6 * 3600  # a dump that takes longer is stuck, not slow


def backup(engine: Engine, dest: Path) -> Snapshot:
    pg_dump = find_pg_tool("pg_dump")
    conninfo, env = pg_conninfo(engine.url.render_as_string(hide_password=False))
    snapshot_conn = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with snapshot_conn as conn, conn.begin():
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        tables, revision = _counts(conn)
        version = conn.execute(text("SHOW server_version")).scalar_one()
        create_private(dest)  # pg_dump writes into it and keeps its 0600 mode
        _run(
            [
                pg_dump,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={dest}",
                "--no-password",
                f"--dbname={conninfo}",
            ],
            env,
            what=f"pg_dump of {shown_url(engine)}",
        )
    return Snapshot(tables, revision, f"postgresql {version}", "pg_dump")


def restore(engine: Engine, backup_file: Path) -> None:
    """`pg_restore` in one transaction: on any error nothing is left half-restored."""
    pg_restore = find_pg_tool("pg_restore")
    conninfo, env = pg_conninfo(engine.url.render_as_string(hide_password=False))
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            "--no-password",
            f"--dbname={conninfo}",
            str(backup_file),
        ],
        env,
        what=f"pg_restore into {shown_url(engine)}",
    )


def existing_tables(engine: Engine) -> dict[str, int]:
    """Tables (with row counts) in the target's schema; restore wants none at all."""
    try:
        with engine.connect() as conn:
            return _counts(conn)[0]
    except OperationalError as exc:  # no such database, refused connection, bad login
        raise ConfigurationError(
            f"cannot connect to the target database {shown_url(engine)}: create it first "
            f"(CREATE DATABASE) and check the URL: {redact(str(exc.orig), {})}"
        ) from exc


def counts_of(engine: Engine) -> tuple[dict[str, int], str | None]:
    with engine.connect() as conn:
        return _counts(conn)


def _counts(conn: Connection) -> tuple[dict[str, int], str | None]:
    names = list(
        conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "ORDER BY tablename"
            )
        ).scalars()
    )
    tables = {
        name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names
    }
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return tables, revision


def find_pg_tool(name: str) -> str:
    """`pg_dump`/`pg_restore` from PATH, else the newest Debian/Ubuntu versioned install."""
    found = shutil.which(name)
    if found:
        return found
    versioned = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if versioned:
        return str(versioned[-1])
    raise ConfigurationError(
        f"{name} not found on PATH: install the PostgreSQL client tools "
        "(e.g. `apt install postgresql-client`), the same major version as the server or newer"
    )


def pg_conninfo(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment that carries the password."""
    parsed = make_url(normalise_url(url))
    query = dict(parsed.query)
    # `?password=…` is libpq's too and, as in libpq and SQLAlchemy, beats the user part's.
    password = query.pop("password", None) or parsed.password
    env: dict[str, str] = {}
    if password:
        env["PGPASSWORD"] = str(password)
    # Not `URL.set(password=None)`: there None means "unchanged" and the password stays.
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=query,
    )
    return plain.render_as_string(hide_password=False), env


def _run(argv: list[str], extra_env: dict[str, str], what: str) -> None:
    log.info("running %s", what)
    try:
        done = subprocess.run(
            argv,
            env={**os.environ, **extra_env},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ConfigurationError(f"{what} did not finish in {TIMEOUT_SECONDS} s") from exc
    if done.returncode != 0:
        detail = redact(done.stderr.strip() or done.stdout.strip(), extra_env)
        raise ConfigurationError(f"{what} failed (exit {done.returncode}): {detail[-2000:]}")


def redact(message: str, extra_env: dict[str, str]) -> str:
    """Belt and braces: no password in an error message, whatever the tool printed — the
    one we passed wherever it appears, and any URL or conninfo password (`mask_dsn`)."""
    secret = extra_env.get("PGPASSWORD")
    if secret:
        message = message.replace(secret, "****")
    return mask_dsn(message)
