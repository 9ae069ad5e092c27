"""PostgreSQL connections that sat idle in the pool are checked before use
(`core.db._ping_if_idle`): one the server dropped meanwhile is replaced, not handed to a
request that would fail on it. Connections in steady use are not checked (the check was
a round trip per transaction)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DisconnectionError

from core import db
from core.accounts import users as accounts


def _drop_other_connections(url: str) -> int:
    """Terminate every other backend on the app's database, as a server restart would."""
    admin = create_engine(db.normalise_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        admin.dispose()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_connection_dropped_while_idle_is_replaced(app, acme, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert accounts.list_users(app, acme.admin)  # the pool now holds a connection
    assert _drop_other_connections(settings.database_url) >= 1
    monkeypatch.setattr(db, "IDLE_PING_S", 0.0)  # whatever sat in the pool counts as idle
    assert [u.username for u in accounts.list_users(app, acme.admin)] == ["boss"]


class _Record:
    def __init__(self, checked_in_at: float | None) -> None:
        self.info = {} if checked_in_at is None else {"checked_in_at": checked_in_at}


class _Connection:
    """What the check may do with a DBAPI connection, recorded."""

    def __init__(self, fails: bool = False) -> None:
        self.calls: list[str] = []
        self.fails = fails

    def cursor(self):  # type: ignore[no-untyped-def]
        return self

    def __enter__(self):  # type: ignore[no-untyped-def]
        return self

    def __exit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
        return None

    def execute(self, sql: str) -> None:
        self.calls.append(sql)
        if self.fails:
            raise OSError("server closed the connection unexpectedly")

    def rollback(self) -> None:
        self.calls.append("ROLLBACK")


def test_only_a_connection_idle_past_the_limit_is_checked(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(db.time, "monotonic", lambda: 1000.0)
    busy, idle, new = _Connection(), _Connection(), _Connection()
    db._ping_if_idle(busy, _Record(1000.0 - db.IDLE_PING_S / 2), None)
    db._ping_if_idle(new, _Record(None), None)  # just opened: nothing to check
    db._ping_if_idle(idle, _Record(1000.0 - db.IDLE_PING_S - 1), None)
    assert busy.calls == [] and new.calls == []
    assert idle.calls == ["SELECT 1", "ROLLBACK"]
    with pytest.raises(DisconnectionError, match="idle connection is gone: server closed"):
        db._ping_if_idle(_Connection(fails=True), _Record(0.0), None)
