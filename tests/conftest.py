"""Shared fixtures: a real database per test, migrated with Alembic, on SQLite and PostgreSQL.

- SQLite: migrated once per test session into a template file, copied per test (fast and
  truly fresh).
- PostgreSQL (when ORDERHUB_TEST_PG_URL is set, or by default in CI): a fresh database per
  test session (and per xdist worker), migrated with Alembic; each test starts from empty
  tables. With CI=true an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from core import clock, crypto, migrate
from core.app import App
from core.config import AuthSettings, PluginSettings, Settings
from core.db import create_db_engine, normalise_url
from core.startup import open_app

CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("ORDERHUB_TEST_PG_URL") or (
    "postgresql://postgres@127.0.0.1:5432/test" if CI else ""
)
TEST_KEY = crypto.generate_key()
FAST_AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)


def pytest_report_header(config: pytest.Config) -> str:
    return f"orderhub backends: sqlite{', postgresql ' + PG_URL if PG_URL else ' (no PostgreSQL)'}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as conn:  # fold the WAL into the main file before copying it
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database(worker_id: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session (and xdist worker)."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need ORDERHUB_TEST_PG_URL (always run in CI)")
    admin_url = make_url(normalise_url(PG_URL))
    name = f"orderhub_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        admin.dispose()
        message = f"PostgreSQL at {PG_URL} is unreachable: {exc}"
        if CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)", pytrace=False)
        pytest.skip(message)
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """xdist's worker id, or 'main' without xdist."""
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database URL on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "orderhub.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    url = request.getfixturevalue("pg_database")
    yield url
    _empty_pg_tables(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, *unmigrated* database on each backend (for migration and `init` tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL tests need ORDERHUB_TEST_PG_URL (always run in CI)")
    admin_url = make_url(normalise_url(PG_URL))
    name = f"orderhub_fresh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_pg_tables(url: str) -> None:
    engine = create_db_engine(url)
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            # Audit triggers refuse TRUNCATE by design; only the test harness lifts them.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key=TEST_KEY,
        auth=FAST_AUTH,
        plugins=PluginSettings(only=("orderhub",)),
        source="tests",
    )


@pytest.fixture
def app(settings: Settings) -> Iterator[App]:
    application = open_app(settings)
    yield application
    application.close()


@pytest.fixture
def frozen_clock() -> Iterator[list]:
    """A settable clock: `frozen_clock[0] = datetime(...)` moves time for the code under test."""
    from datetime import UTC, datetime

    holder = [datetime(2026, 11, 27, 2, 0, tzinfo=UTC)]
    clock.set_clock(lambda: holder[0])
    yield holder
    clock.set_clock(None)


def with_settings(settings: Settings, **changes: object) -> Settings:
    return replace(settings, **changes)


ADMIN_PASSWORD = "Correct-Horse-9"


class OrgFixture:
    """An org with its admin, as `orderhub init` makes it, plus helpers to add staff."""

    def __init__(self, app: App, name: str, admin: str) -> None:
        from core.accounts import users
        from core.actor import Actor

        self.app = app
        org, user = users.create_org_with_admin(app, name, admin, ADMIN_PASSWORD)
        self.org_id = org.id
        self.admin_id = user.id
        self.admin = Actor(org_id=org.id, user_id=user.id, label=user.username)
        self.system = Actor.system(org.id, label="tests")

    def staff(self, username: str, *roles: str, password: str = ADMIN_PASSWORD):
        """Add a user with the given roles and return their Actor (as after a login)."""
        from core.accounts import users
        from core.actor import Actor

        user = users.add_user(self.app, self.admin, username, password, roles=roles)
        return Actor(org_id=self.org_id, user_id=user.id, label=user.username)


@pytest.fixture
def acme(app: App) -> OrgFixture:
    return OrgFixture(app, "acme", "boss")


@pytest.fixture
def globex(app: App) -> OrgFixture:
    return OrgFixture(app, "globex", "hank")
