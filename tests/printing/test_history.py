"""Print history (底单) on both backends: what was sent, when, by whom, on which printer
with which template version — by order, waybill, user and time — and the job listings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.desk.query import parse
from core.errors import PermissionDenied, ValidationError
from core.models import Waybill
from core.printing.history import get_job, list_jobs, print_history
from core.printing.jobs import create_job
from core.printing.runner import run_job
from tests.printing.rig import TEXT_TEMPLATE


@pytest.fixture
def history_rig(rig, listener, frozen_clock):  # type: ignore[no-untyped-def]
    """Two batches an hour apart: three labels by the admin, two by an operator."""
    frozen_clock[0] = clock.now().replace(microsecond=0)
    rig.text_printer("gp-1", listener.port)
    rig.account("YTO")
    order_ids = rig.load_orders(count=5)
    run_job(
        rig.app,
        rig.org.admin,
        create_job(rig.app, rig.org.admin, order_ids[:3], ["gp-1"], template=TEXT_TEMPLATE).job_id,
    )
    frozen_clock[0] += timedelta(hours=1)
    operator = rig.org.staff("alice", "print_operator")
    run_job(
        rig.app,
        operator,
        create_job(rig.app, operator, order_ids[3:], ["gp-1"], template=TEXT_TEMPLATE).job_id,
    )
    return rig, operator


def test_history_by_order_waybill_user_and_time(history_rig, frozen_clock) -> None:
    rig, operator = history_rig
    everything = print_history(rig.app, rig.org.admin)
    assert [h.job_id for h in everything] == [2, 2, 1, 1, 1]  # newest first
    assert {h.printer for h in everything} == {"gp-1"}
    assert {h.template for h in everything} == {f"{TEXT_TEMPLATE}@1"}
    with rig.app.tx() as session:
        number = session.scalar(select(Waybill.number).where(Waybill.package_id == 4))
    (by_waybill,) = print_history(rig.app, rig.org.admin, waybill_number=number)
    assert (by_waybill.user, by_waybill.state, by_waybill.job_id) == ("alice", "done", 2)
    (by_order,) = print_history(rig.app, rig.org.admin, order_number=by_waybill.orders[0])
    assert by_order.waybill == number
    assert len(print_history(rig.app, rig.org.admin, user="alice")) == 2
    assert len(print_history(rig.app, rig.org.admin, user="boss")) == 3
    hour_ago = frozen_clock[0] - timedelta(minutes=30)
    assert [h.job_id for h in print_history(rig.app, rig.org.admin, since=hour_ago)] == [2, 2]
    assert [h.job_id for h in print_history(rig.app, rig.org.admin, until=hour_ago)] == [1, 1, 1]
    page = print_history(rig.app, rig.org.admin, limit=2)
    rest = print_history(rig.app, rig.org.admin, before_id=page[-1].item_id, limit=10)
    assert len(page) + len(rest) == 5
    assert print_history(rig.app, operator, order_number="nope") == []


def test_history_needs_a_permission_and_shows_no_buyer_data(history_rig) -> None:
    rig, _ = history_rig
    nobody = rig.org.staff("finance-1", "finance")
    assert print_history(rig.app, nobody)  # finance may view orders
    with pytest.raises(ValidationError, match="limit must be 1 to 1000"):
        print_history(rig.app, rig.org.admin, limit=0)
    row = print_history(rig.app, rig.org.admin)[0]
    assert not {"receiver", "name", "phone", "address"} & set(vars(row))


def test_jobs_are_listed_newest_first_with_their_counts(history_rig) -> None:
    rig, operator = history_rig
    jobs = list_jobs(rig.app, rig.org.admin)
    assert [(j.id, j.status, j.done, j.total, j.user) for j in jobs] == [
        (2, "done", 2, 2, "alice"),
        (1, "done", 3, 3, "boss"),
    ]
    assert get_job(rig.app, operator, 1).printers == ("gp-1",)
    assert list_jobs(rig.app, rig.org.admin, status="paused") == []
    outsider = rig.org.staff("reader", "read_only")
    assert list_jobs(rig.app, outsider)  # read-only staff may look
    with pytest.raises(PermissionDenied):
        create_job(rig.app, outsider, [1], ["gp-1"])


def test_filter_terms_are_checked() -> None:
    """print --filter speaks the desk's language, and still reads the old key=value form."""
    query = parse('shop="旗舰 店" limit=5')
    assert parse(query.format()) == query == parse('shop:"旗舰 店" limit:5')
    with pytest.raises(ValidationError, match="unknown key 'colour'"):
        parse("colour=red")
