"""Passes no two workers run at once (`core.workers.exclusive`): on PostgreSQL one holder
at a time, free again when it is done or its process's connection is gone; on SQLite
(one worker) always run."""

from __future__ import annotations

from sqlalchemy import text

from core.startup import open_app
from core.sync.worker import Worker
from core.workers.exclusive import LOCK_CLASS, exclusive, lock_key


def test_one_holder_at_a_time(app, settings) -> None:
    other = open_app(settings)  # another worker: its own engine and connections
    try:
        postgres = app.engine.dialect.name == "postgresql"
        with exclusive(app, "alerts") as first:
            assert first is True
            with exclusive(other, "alerts") as second:
                assert second is (not postgres)
            with exclusive(other, "stockpush") as unrelated:
                assert unrelated is True
        with exclusive(other, "alerts") as after:
            assert after is True
    finally:
        other.close()


def test_lock_connection_gone_frees_the_pass(app, settings) -> None:
    other = open_app(settings)
    try:
        conn = other.engine.connect()
        if app.engine.dialect.name == "postgresql":
            key = {"a": LOCK_CLASS, "b": lock_key("alerts")}
            assert conn.scalar(text("SELECT pg_try_advisory_lock(:a, :b)"), key)
            with exclusive(app, "alerts") as mine:
                assert mine is False
        conn.invalidate()  # the process died: its session, and the lock, are gone
        conn.close()
        with exclusive(app, "alerts") as mine:
            assert mine is True
    finally:
        other.close()


def test_a_worker_skips_an_exclusive_pass_another_holds(app, settings) -> None:
    ran: list[str] = []

    class Push:
        name = "stockpush"
        exclusive = True

        def __call__(self) -> None:
            ran.append("push")

    worker = Worker(app, "w1", passes=[Push()])
    other = open_app(settings)
    try:
        with exclusive(other, "stockpush") as held:
            assert held
            worker.run(once=True)
        worker.run(once=True)
    finally:
        other.close()
    expected = ["push"] if app.engine.dialect.name == "postgresql" else ["push", "push"]
    assert ran == expected
