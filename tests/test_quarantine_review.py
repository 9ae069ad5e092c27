"""Quarantined orders as an operator sees them: `orderhub quarantine list|discard` over
core.orders.quarantine_review — org-scoped, discard audited with a reason, no payload."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import AuditEvent, QuarantinedOrder
from core.models.base import Payload
from core.orders import quarantine_review
from tests.desk.test_edits import cli_env, make_shop, run  # noqa: F401 (cli_env: a fixture)


def quarantine(app, org_id: int, shop_id: int, number: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    with app.tx() as session:
        session.add(
            QuarantinedOrder(
                org_id=org_id,
                shop_id=shop_id,
                platform_order_no=number,
                reason=reason,
                raw=Payload({"order_sn": number, "receiver_name": "张三"}, personal=True),
            )
        )


def test_list_and_discard_are_org_scoped_and_audited(app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    shop = make_shop(app, acme.org_id)
    other = make_shop(app, globex.org_id)
    quarantine(app, acme.org_id, shop, "Q-1", "goods_price: '9.999' has three decimals")
    quarantine(app, globex.org_id, other, "Q-9", "bad")

    listed = quarantine_review.list_quarantined(app, acme.admin)
    assert [(q.order_number, q.reason) for q in listed] == [
        ("Q-1", "goods_price: '9.999' has three decimals")
    ]
    with pytest.raises(NotFound):
        quarantine_review.discard_quarantined(app, globex.admin, shop, "Q-1", reason="x")
    with pytest.raises(ValidationError, match="say why"):
        quarantine_review.discard_quarantined(app, acme.admin, shop, "Q-1", reason="  ")
    reader = acme.staff("reader", "read_only")
    assert quarantine_review.list_quarantined(app, reader)  # reading needs order.view only
    with pytest.raises(PermissionDenied):
        quarantine_review.discard_quarantined(app, reader, shop, "Q-1", reason="x")

    gone = quarantine_review.discard_quarantined(
        app, acme.admin, shop, "Q-1", reason="平台已关闭此订单"
    )
    assert gone.order_number == "Q-1" and quarantine_review.list_quarantined(app, acme.admin) == []
    with app.tx() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "order.quarantine_discard")
        ).one()
        left = session.scalar(select(func.count()).select_from(QuarantinedOrder))
    assert (event.org_id, event.detail, event.before["order"]) == (
        acme.org_id,
        "平台已关闭此订单",
        "Q-1",
    )
    assert "张三" not in json.dumps(event.before, ensure_ascii=False)
    assert left == 1  # globex's stays
    with pytest.raises(NotFound, match="no quarantined order Q-1"):
        quarantine_review.discard_quarantined(app, acme.admin, shop, "Q-1", reason="again")


@pytest.mark.usefixtures("cli_env")
def test_the_cli_lists_and_discards(app, acme, capsys) -> None:  # type: ignore[no-untyped-def]
    shop = make_shop(app, acme.org_id)
    quarantine(app, acme.org_id, shop, "Q-2", "unknown refund status 9")
    code, out, err = run(capsys, "quarantine", "list", "--json")
    assert code == 0, err
    (shown,) = json.loads(out)
    assert (shown["order"], shown["reason"], shown["retries"]) == (
        "Q-2",
        "unknown refund status 9",
        0,
    )
    assert "张三" not in out  # the payload is never shown
    with pytest.raises(SystemExit) as usage:  # argparse: a reason is required
        run(capsys, "quarantine", "discard", str(shop), "Q-2")
    assert usage.value.code == 2 and "--reason" in capsys.readouterr().err
    code, out, err = run(capsys, "quarantine", "discard", str(shop), "Q-2", "--reason", "放弃")
    assert code == 0 and "discarded" in out, err
    code, out, _ = run(capsys, "quarantine", "list")
    assert "Q-2" not in out
