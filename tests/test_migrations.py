"""Alembic migrations on both backends: empty → head, models == schema, down and up again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from core import migrate
from core.db import create_db_engine
from core.models import Base


@pytest.fixture
def engine(fresh_database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(fresh_database_url)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def _downgrade(engine: Engine, revision: str) -> None:
    """Alembic's downgrade over our engine, the way `core.migrate.upgrade` runs upgrades."""
    cfg = migrate.alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


def _schema_diffs(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_upgrade_empty_database_to_head(engine: Engine) -> None:
    assert migrate.current_revision(engine) is None
    assert _tables(engine) == set()
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _tables(engine) == set(Base.metadata.tables)


def test_models_match_migrations(engine: Engine) -> None:
    """A model change without its migration shows up here as a diff."""
    migrate.upgrade(engine)
    assert _schema_diffs(engine) == []


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    migrate.upgrade(engine)
    _downgrade(engine, "base")
    assert migrate.current_revision(engine) is None
    assert _tables(engine) == set()
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert _schema_diffs(engine) == []


def test_upgrade_twice_is_a_no_op(engine: Engine) -> None:
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET action = 'rewritten'", "DELETE FROM audit_events"],
)
def test_audit_events_refuse_update_and_delete(engine: Engine, statement: str) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (actor_label, action, target_type, target_id, detail, at)"
                " VALUES ('test', 'org.create', 'org', '1', '', CURRENT_TIMESTAMP)"
            )
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT action FROM audit_events")).all()
    assert [r.action for r in rows] == ["org.create"]
