"""Approve against reject of the same order by two sessions on PostgreSQL: the second to
write gets a clear conflict, and the first's decision stands (no lost update)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from core.auditing import decisions
from core.errors import Conflict
from tests.auditing.conftest import check, make_order, order, store
from tests.conftest import _empty_pg_tables


@pytest.fixture
def database_url(pg_database: str) -> Iterator[str]:
    """PostgreSQL only: concurrent sessions meet on a row lock there (SQLite would
    serialise the two transactions on its one write lock)."""
    yield pg_database
    _empty_pg_tables(pg_database)


@pytest.mark.postgres
@pytest.mark.parametrize("first", ["approve", "reject"])
def test_the_second_decision_on_one_order_is_a_conflict(app, acme, shop, frozen_clock, first):
    ids = store(app, acme.org_id, shop, [make_order("C1", buyer_memo="看一下")])
    check(app, acme.org_id, ids.values())
    clerk = acme.staff("clerk", "打单员")
    one, two = app.sessions(), app.sessions()
    outcome: dict[str, object] = {}
    try:
        # Both sessions read the order while it is pending, version 2.
        assert [o.platform_order_no for o in decisions._orders(two, clerk, ["C1"])] == ["C1"]
        if first == "approve":
            decisions.approve_in(one, acme.admin, ["C1"])
        else:
            decisions.reject_in(one, acme.admin, ["C1"], "先别发")

        def second() -> None:
            try:
                if first == "approve":
                    decisions.reject_in(two, clerk, ["C1"], "先别发")
                else:
                    decisions.approve_in(two, clerk, ["C1"])
                two.commit()
                outcome["second"] = "applied"
            except Conflict as exc:
                two.rollback()
                outcome["second"] = exc

        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # the second session now waits on the first's row lock
        one.commit()
        racer.join(10)
    finally:
        one.close()
        two.close()
    assert isinstance(outcome["second"], Conflict), outcome
    assert "changed by someone else" in str(outcome["second"])
    stored = order(app, shop, "C1")
    if first == "approve":
        assert stored.hub_status == "audited" and stored.reject_reason == ""
    else:
        assert stored.hub_status == "pending" and stored.reject_reason == "先别发"
