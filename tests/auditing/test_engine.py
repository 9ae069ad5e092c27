"""`check_orders` on stored orders: reasons written, approval after the wait, re-runs,
duplicates and merge candidates found by set-based queries, both databases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from core.accounts import audit
from core.auditing import engine, settings
from core.contracts.types import RefundStatus
from core.models import AuditEvent, Order
from core.sync.worker import Worker
from tests.auditing.conftest import PAID, check, make_order, make_shop, order, receiver, store


def test_a_clean_order_is_approved_by_the_system_and_audited(app, acme, shop, frozen_clock):
    ids = store(app, acme.org_id, shop, [make_order("A1")])
    report = check(app, acme.org_id, ids.values())
    assert report.approved == [ids["A1"]]
    stored = order(app, shop, "A1")
    assert stored.hub_status == "audited" and stored.audited_by is None
    assert stored.exception_reasons == [] and stored.in_exception is False
    assert stored.rules_checked_at is not None and stored.audited_at is not None
    with app.tx() as s:
        events = audit.events(s, acme.org_id, action="order.approve")
        assert [(e.target_type, e.target_id, e.detail) for e in events] == [
            ("order", str(ids["A1"]), "auto")
        ]


def test_failures_go_to_the_exception_queue_with_every_reason(app, acme, shop, frozen_clock):
    bad = make_order(
        "B1",
        buyer_memo="请发顺丰",
        remark_flag="red",
        receiver=receiver(phone="12345", address="浙江省杭州市西湖区文三路"),
    )
    ids = store(app, acme.org_id, shop, [bad])
    report = check(app, acme.org_id, ids.values())
    assert report.approved == []
    stored = order(app, shop, "B1")
    assert stored.hub_status == "pending" and stored.in_exception is True
    assert stored.exception_reasons == [
        "flag_red",
        "buyer_memo",
        "address_repeated_prefix",
        "phone_shape",
    ]


def test_approval_waits_until_the_wait_after_payment_has_passed(app, acme, shop, frozen_clock):
    settings.update(app, acme.admin, {"wait_minutes": 90})  # paid 60 minutes ago
    ids = store(app, acme.org_id, shop, [make_order("W1")])
    assert check(app, acme.org_id, ids.values()).approved == []
    assert order(app, shop, "W1").hub_status == "pending"
    assert order(app, shop, "W1").in_exception is False  # waiting, not an exception
    frozen_clock[0] += timedelta(minutes=31)
    report = engine.run_due(app)
    assert report.approved == [ids["W1"]]
    assert order(app, shop, "W1").hub_status == "audited"


def test_auto_approve_off_leaves_clean_orders_pending(app, acme, shop, frozen_clock):
    settings.update(app, acme.admin, {"auto_approve": False})
    ids = store(app, acme.org_id, shop, [make_order("M1")])
    assert check(app, acme.org_id, ids.values()).approved == []
    assert order(app, shop, "M1").hub_status == "pending"
    assert engine.run_due(app).checked == 0  # checked already, nothing waits for approval


def test_a_rerun_after_a_change_follows_the_order(app, acme, shop, frozen_clock):
    ids = store(app, acme.org_id, shop, [make_order("R1", remark_flag="red")])
    check(app, acme.org_id, ids.values())
    assert order(app, shop, "R1").exception_reasons == ["flag_red"]
    with app.tx() as s:  # an operator's local flag counts over the platform's
        s.execute(update(Order).where(Order.id == ids["R1"]).values(local_flag="green"))
    check(app, acme.org_id, ids.values())
    assert order(app, shop, "R1").hub_status == "audited"
    # Audited orders are re-checked only when asked; then they keep their status.
    with app.tx() as s:
        s.execute(update(Order).where(Order.id == ids["R1"]).values(local_flag="red"))
    assert check(app, acme.org_id, ids.values()).checked == 0
    check(app, acme.org_id, ids.values(), recheck_audited=True)
    again = order(app, shop, "R1")
    assert again.hub_status == "audited" and again.exception_reasons == ["flag_red"]


def test_the_stores_refund_reason_is_kept_and_rejected_stays(app, acme, shop, frozen_clock):
    refunding = make_order("F1", refund_status=RefundStatus.IN_PROGRESS)
    ids = store(app, acme.org_id, shop, [refunding])
    settings.update(app, acme.admin, {"refund_in_progress": False})
    check(app, acme.org_id, ids.values())
    assert order(app, shop, "F1").exception_reasons == ["refund_in_progress"]
    with app.tx() as s:
        s.execute(update(Order).where(Order.id == ids["F1"]).values(exception_reasons=[]))
    assert check(app, acme.org_id, ids.values()).approved == []  # a refund never passes
    with app.tx() as s:
        s.execute(
            update(Order)
            .where(Order.id == ids["F1"])
            .values(exception_reasons=["rejected"], refund_status="none")
        )
    check(app, acme.org_id, ids.values())
    assert order(app, shop, "F1").exception_reasons == ["rejected"]


def test_orders_of_one_receiver_are_merge_candidates_both_ways(app, acme, shop, frozen_clock):
    same = receiver(name="李四")
    first = store(app, acme.org_id, shop, [make_order("G1", receiver=same)])
    check(app, acme.org_id, first.values(), now=None)
    assert order(app, shop, "G1").hub_status == "audited"
    second = store(app, acme.org_id, shop, [make_order("G2", receiver=same)])
    report = check(app, acme.org_id, second.values())
    assert report.failures[second["G2"]][0][0] == "mergeable"
    assert order(app, shop, "G2").exception_reasons == ["mergeable"]
    third = store(app, acme.org_id, shop, [make_order("G3", receiver=same)])
    check(app, acme.org_id, third.values())  # the pending G2 is checked again with it
    assert order(app, shop, "G3").exception_reasons == ["mergeable"]
    assert order(app, shop, "G2").exception_reasons == ["mergeable"]
    other_shop = make_shop(app, acme.org_id, "9003", "第二店")
    elsewhere = store(app, acme.org_id, other_shop, [make_order("G4", receiver=same)])
    assert check(app, acme.org_id, elsewhere.values()).approved == [elsewhere["G4"]]


def test_a_number_stored_for_another_shop_is_a_duplicate(app, acme, shop, frozen_clock):
    store(app, acme.org_id, shop, [make_order("D1")])
    second = make_shop(app, acme.org_id, "9004", "导入店")
    ids = store(app, acme.org_id, second, [make_order("D1")], source="import")
    check(app, acme.org_id, ids.values())
    assert order(app, second, "D1").exception_reasons == ["duplicate_order"]


def test_platform_ciphertext_skips_clear_text_rules(app, acme, shop, frozen_clock):
    sealed = receiver(name="~AgAAAA~", phone="$1381$", address="~AgAAAB~", encrypted=True)
    ids = store(app, acme.org_id, shop, [make_order("P1", receiver=sealed)])
    assert check(app, acme.org_id, ids.values()).approved == [ids["P1"]]


def test_other_orgs_orders_and_closed_orders_are_left_alone(
    app, acme, globex, shop, other_shop, frozen_clock
):
    theirs = store(app, globex.org_id, other_shop, [make_order("X1")])
    assert check(app, acme.org_id, theirs.values()).checked == 0
    assert order(app, other_shop, "X1").rules_checked_at is None
    with app.tx() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "order.approve")) is None


def test_run_due_checks_orders_no_arrival_path_checked(app, acme, shop, frozen_clock):
    ids = store(app, acme.org_id, shop, [make_order("U1"), make_order("U2", buyer_memo="急")])
    report = engine.run_due(app)
    assert report.approved == [ids["U1"]] and report.checked == 2
    assert order(app, shop, "U2").exception_reasons == ["buyer_memo"]
    assert engine.run_due(app).checked == 0  # nothing due any more
    assert frozen_clock[0] > PAID


def test_the_worker_runs_the_periodic_pass(app, acme, shop, frozen_clock):
    store(app, acme.org_id, shop, [make_order("K1")])
    Worker(app, "tests:1", poll_seconds=0.05).run(once=True)
    assert order(app, shop, "K1").hub_status == "audited"
