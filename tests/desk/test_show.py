"""`show_order`: one order whole, the receiver masked unless revealed (pii.view, audited),
Pinduoduo receivers decrypted through the platform, other orgs' orders not found."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.accounts import audit
from core.app import App
from core.config import Settings
from core.desk.show import ORDER_TARGET, show_order
from core.errors import NotFound, PermissionDenied
from core.models import AuditEvent
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import OrgFixture
from tests.desk.world import BASE, LineSpec, OrderSpec, store_world
from tests.waybills.rig import Rig, open_rig, serve_sandbox

FULL = OrderSpec(
    paid=BASE,
    lines=(LineSpec("保温杯 500ml 红色 L", "sku-1", "CUP-R"), LineSpec("杯盖", "sku-2", "LID")),
    tags=frozenset({"紧急"}),
    memo="请发顺丰",
    remark="送礼",
    local_remark="已电话确认",
    flag="red",
    local_flag="green",
    reasons=("address_invalid",),
    assigned=0,
    waybill=1,
    print_state="done",
)


def reveals(app: App, org_id: int) -> list[AuditEvent]:
    with app.tx() as session:
        return [e for e in audit.events(session, org_id) if e.action == "order.reveal"]


def test_show_gives_the_whole_order_with_the_receiver_masked(app: App, acme: OrgFixture) -> None:
    (stored,) = store_world(app, acme.org_id, [FULL]).orders
    detail = show_order(app, acme.admin, stored.number)
    assert [(ln.line_no, ln.title, ln.sku_id) for ln in detail.lines] == [
        (1, "保温杯 500ml 红色 L", "sku-1"),
        (2, "杯盖", "sku-2"),
    ]
    assert (detail.buyer_memo, detail.seller_remark, detail.local_remark) == (
        "请发顺丰",
        "送礼",
        "已电话确认",
    )
    assert (detail.platform_flag, detail.local_flag, detail.row.flag) == ("red", "green", "green")
    assert detail.row.tags == ("紧急",) and detail.row.exception_reasons == ("address_invalid",)
    assert detail.assigned_carrier == "中通主号"
    (package,) = detail.packages
    assert package.lines == ((stored.number, 1, 1),)
    assert [(w.number, w.carrier_account) for w in package.waybills] == [
        (stored.waybill_number, "圆通")
    ]
    assert [(p.kind, p.state) for p in detail.print_history] == [("label", "done")]
    receiver = detail.receiver
    assert (receiver.name, receiver.phone, receiver.revealed) == ("王**", "138****5678", False)
    assert reveals(app, acme.org_id) == []


def test_reveal_needs_pii_view_and_is_audited_without_the_data(app: App, acme: OrgFixture) -> None:
    (stored,) = store_world(app, acme.org_id, [FULL]).orders
    clerk = acme.staff("clerk", "打单员")  # order.view, no pii.view
    assert show_order(app, clerk, stored.number).receiver.name == "王**"
    with pytest.raises(PermissionDenied, match=r"pii\.view"):
        show_order(app, clerk, stored.number, reveal=True)
    assert reveals(app, acme.org_id) == []

    shown = show_order(app, acme.admin, stored.number, reveal=True).receiver
    assert (shown.name, shown.phone, shown.address, shown.revealed) == (
        "王小明",
        "13812345678",
        "文三路 90 号",
        True,
    )
    (event,) = reveals(app, acme.org_id)
    assert (event.target_type, event.target_id, event.actor_label) == (
        ORDER_TARGET,
        str(stored.order_id),
        "boss",
    )
    assert "王小明" not in repr((event.detail, event.before, event.after))
    trail = show_order(app, acme.admin, stored.number).trail
    assert [e.action for e in trail] == ["order.reveal"]


def test_another_orgs_order_is_not_found_and_order_view_is_needed(
    app: App, acme: OrgFixture, globex: OrgFixture
) -> None:
    (stored,) = store_world(app, acme.org_id, [FULL]).orders
    with pytest.raises(NotFound):
        show_order(app, globex.admin, stored.number)
    with pytest.raises(NotFound):
        show_order(app, globex.admin, stored.number, reveal=True)
    with pytest.raises(PermissionDenied, match=r"order\.view"):
        show_order(app, acme.staff("nobody"), stored.number)
    assert reveals(app, globex.org_id) == [] and reveals(app, acme.org_id) == []


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    yield from serve_sandbox(SandboxConfig(orders=20, history_days=1.0, rate_limits=False))


@pytest.fixture
def rig(settings: Settings, sandbox_server: SandboxServer, acme: OrgFixture) -> Iterator[Rig]:
    yield from open_rig(Rig, settings, sandbox_server, acme)


def test_a_pinduoduo_receiver_is_revealed_through_the_platform(rig: Rig) -> None:
    (number,) = rig.order_numbers()[:1]
    rig.load_orders(numbers=[number])
    masked = show_order(rig.app, rig.org.admin, number)
    assert masked.receiver.platform_encrypted and not masked.receiver.revealed
    shown = show_order(rig.app, rig.org.admin, number, reveal=True).receiver
    name, phone, _detail = rig.sandbox.store.orders[number].pii
    assert (shown.name, shown.phone, shown.revealed) == (name, phone, True)
    (event,) = reveals(rig.app, rig.org.org_id)
    assert "decrypted by platform pinduoduo" in event.detail
