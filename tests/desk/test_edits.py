"""改单 through `core.desk.edits`: the receiver of imported and manual orders (encrypted,
masked, re-hashed, audited masked), never of synced or printed ones; local remark and
flag of any order; the version check, sequential and between two real PostgreSQL
sessions at once; and a re-import that keeps the operator's receiver."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import event, select

from cli.main import main
from core import masking
from core.contracts.types import (
    Contact,
    OrderStatus,
    PlatformOrder,
    PlatformOrderLine,
    RefundStatus,
)
from core.desk import edits
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.importing import service as importing
from core.models import AuditEvent, Order, Shop
from core.orders import store as order_store
from core.orders.receiver import receiver_hash_of
from core.startup import open_app

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NEW_PHONE = "139 0000 5678"


def make_shop(app, org_id: int, name: str = "杯子店", platform_shop_id: str = "9001") -> int:
    with app.tx() as session:
        shop = Shop(
            org_id=org_id, platform="pinduoduo", platform_shop_id=platform_shop_id, name=name
        )
        session.add(shop)
        session.flush()
        return shop.id


def platform_order(number: str, **changes) -> PlatformOrder:
    values = dict(
        order_number=number,
        status=OrderStatus.AWAITING_SHIPMENT,
        refund_status=RefundStatus.NONE,
        created_at=T0,
        updated_at=T0,
        paid_at=T0,
        receiver=Contact(
            name="王小明",
            phone="13812345678",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            address="文三路 90 号 东部软件园 3 号楼",
        ),
        lines=(PlatformOrderLine(sku_id="s1", title="保温杯", quantity=1, unit_price_fen=3990),),
        goods_fen=3990,
        paid_fen=3990,
    )
    values.update(changes)
    return PlatformOrder(**values)


def store(app, org_id: int, shop_id: int, *numbers: str, source: str = "import", **changes):
    with app.tx() as session:
        order_store.upsert_orders(
            session,
            app.keyring,
            org_id=org_id,
            shop_id=shop_id,
            orders=[platform_order(n, **changes) for n in numbers],
            source=source,
        )


def order(app, number: str) -> Order:
    with app.tx() as session:
        return session.scalars(select(Order).where(Order.platform_order_no == number)).one()


def events(app, org_id: int, action: str) -> list[AuditEvent]:
    with app.tx() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.org_id == org_id, AuditEvent.action == action)
                .order_by(AuditEvent.id)
            )
        )


def set_columns(app, number: str, **values) -> None:
    with app.tx() as session:
        row = session.scalars(select(Order).where(Order.platform_order_no == number)).one()
        for name, value in values.items():
            setattr(row, name, value)


@pytest.fixture
def shop(app, acme) -> int:
    return make_shop(app, acme.org_id)


@pytest.fixture
def cli_env(monkeypatch, settings, tmp_path, acme):  # type: ignore[no-untyped-def]
    """`orderhub` run in this process against the test database, as acme's system actor."""
    monkeypatch.setenv("ORDERHUB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ORDERHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORDERHUB_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("ORDERHUB_PLUGINS_ONLY", "orderhub")
    return acme


def run(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_new_receiver_is_encrypted_masked_rehashed_and_audited_masked(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "A1")
    set_columns(app, "A1", rules_checked_at=T0)  # the audit rules had judged it
    clerk = acme.staff("clerk", "print_operator")
    done = edits.edit_receiver(
        app, clerk, "A1", name="李四", phone=NEW_PHONE, district="余杭区", address="五常大道 1 号"
    )
    assert done.version == 4  # 3 for the edit, 4 for the audit rules judging it again
    stored = order(app, "A1")
    assert (stored.receiver_name, stored.receiver_phone) == ("李四", "13900005678")
    assert (stored.receiver_district, stored.receiver_address) == ("余杭区", "五常大道 1 号")
    assert stored.receiver_name_masked == "李*"
    assert stored.receiver_phone_masked == "139****5678"
    assert stored.receiver_address_masked == "五常大道 1****"
    assert stored.receiver_phone_hash == app.keyring.keyed_hash("13900005678", "receiver_phone")
    assert stored.receiver_hash == receiver_hash_of(
        app.keyring,
        name="李四",
        phone="13900005678",
        province="浙江省",
        city="杭州市",
        district="余杭区",
        address="五常大道 1 号",
    )
    assert stored.version == 4  # 2: the stamp above, 3: the edit, 4: the rules again
    assert stored.rules_checked_at > T0  # judged again by the audit rules, in the edit
    with app.tx() as session:  # the database holds ciphertext only
        clear = (
            session.connection()
            .exec_driver_sql("SELECT receiver_phone, receiver_name FROM orders")
            .one()
        )
    assert "13900005678" not in str(clear) and "李四" not in str(clear)
    (audited,) = events(app, acme.org_id, "order.edit_receiver")
    assert (audited.target_type, audited.target_id) == ("order", str(stored.id))
    assert audited.actor_user_id == clerk.user_id
    assert audited.before["receiver_phone"] == "138****5678"
    assert audited.after["receiver_phone"] == "139****5678"
    assert audited.after["receiver_district"] == "余杭区"
    assert (audited.before["version"], audited.after["version"]) == (2, 3)
    trail = json.dumps([audited.before, audited.after], ensure_ascii=False)
    for clear_text in ("李四", "13900005678", "五常大道 1 号", "王小明", "13812345678"):
        assert clear_text not in trail


def test_the_same_receiver_again_changes_nothing(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "A1")
    same = edits.edit_receiver(app, acme.admin, "A1", phone="138-1234-5678", city="杭州市")
    assert (same.version, same.after) == (1, {})
    assert events(app, acme.org_id, "order.edit_receiver") == []


def test_a_manual_order_may_be_edited_a_synced_one_may_not(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "M1", source="manual")
    store(app, acme.org_id, shop, "S1", source="sync")
    edits.edit_receiver(app, acme.admin, "M1", address="新地址 2 号")
    assert order(app, "M1").receiver_address == "新地址 2 号"
    with pytest.raises(Conflict, match=r"S1 was synced from pinduoduo.*change the address on"):
        edits.edit_receiver(app, acme.admin, "S1", address="新地址 2 号")
    assert order(app, "S1").version == 1


@pytest.mark.parametrize("status", ["printed", "shipped", "cancelled", "refunded"])
def test_no_receiver_edit_once_a_label_exists_or_the_order_closed(app, acme, shop, status) -> None:
    store(app, acme.org_id, shop, "A1")
    set_columns(app, "A1", hub_status=status)
    with pytest.raises(Conflict, match=f"A1 is {status}: its label"):
        edits.edit_receiver(app, acme.admin, "A1", phone="13900005678")
    edits.set_remark(app, acme.admin, "A1", "客户来电：周末不收件")  # a remark still may
    assert order(app, "A1").local_remark == "客户来电：周末不收件"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "2381234567"}, "phone"),
        ({"phone": "1381234567x"}, "phone"),
        ({"name": "   "}, "name"),
        ({"name": "王" * 51}, "name"),
        ({"address": ""}, "address"),
        ({"address": "路" * 201}, "address"),
        ({"province": ""}, "province"),
        ({"city": "杭\x00州"}, "city"),
        ({"district": "区" * 51}, "district"),
        ({}, "receiver"),
    ],
)
def test_bad_receiver_values_are_refused_naming_the_field(app, acme, shop, changes, field) -> None:
    store(app, acme.org_id, shop, "A1")
    with pytest.raises(ValidationError) as caught:
        edits.edit_receiver(app, acme.admin, "A1", **changes)
    assert caught.value.details["field"] == field
    assert order(app, "A1").version == 1


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("+86 138 1234 5678", "13812345678"),
        ("0571-88886666", "0571-88886666"),
        ("010 12345678", "01012345678"),
        ("0755-2345678-801", "0755-2345678-801"),
    ],
)
def test_phone_shapes_accepted(app, acme, shop, typed, stored) -> None:
    store(app, acme.org_id, shop, "A1")
    edits.edit_receiver(app, acme.admin, "A1", phone=typed)
    row = order(app, "A1")
    assert row.receiver_phone == stored
    assert row.receiver_phone_hash == app.keyring.keyed_hash(
        masking.normalise_phone(stored), "receiver_phone"
    )


def test_permission_matrix_and_other_orgs(app, acme, globex, shop) -> None:
    store(app, acme.org_id, shop, "A1")
    viewer = acme.staff("viewer", "read_only")
    for attempt in (
        lambda: edits.edit_receiver(app, viewer, "A1", phone="13900005678"),
        lambda: edits.set_remark(app, viewer, "A1", "x"),
        lambda: edits.set_flag(app, viewer, "A1", "red"),
    ):
        with pytest.raises(PermissionDenied, match=r"order\.edit"):
            attempt()
    for attempt in (
        lambda: edits.edit_receiver(app, globex.admin, "A1", phone="13900005678"),
        lambda: edits.set_remark(app, globex.admin, "A1", "x"),
        lambda: edits.set_flag(app, globex.admin, "A1", "red"),
    ):
        with pytest.raises(NotFound, match="no order numbered A1"):
            attempt()
    assert order(app, "A1").version == 1
    assert events(app, acme.org_id, "order.flag") == []


def test_remark_and_flag_of_a_synced_order_are_audited(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "S1", source="sync")
    clerk = acme.staff("clerk", "print_operator")
    # Each edit is a version, and so is the audit rules' check that follows it.
    assert edits.set_flag(app, clerk, "S1", " Red ").version == 3
    assert edits.set_remark(app, clerk, "S1", "  补发赠品  ").version == 5
    stored = order(app, "S1")
    assert (stored.local_flag, stored.local_remark) == ("red", "补发赠品")
    assert edits.set_flag(app, clerk, "S1", "none").after == {"local_flag": "", "version": 6}
    assert edits.set_flag(app, clerk, "S1", "none").after == {}  # already none: nothing to do
    flags = events(app, acme.org_id, "order.flag")
    assert [(e.before["local_flag"], e.after["local_flag"]) for e in flags] == [
        ("", "red"),
        ("red", ""),
    ]
    (remark,) = events(app, acme.org_id, "order.remark")
    assert remark.after == {"local_remark": "补发赠品", "version": 4}
    with pytest.raises(ValidationError, match="orange") as caught:
        edits.set_flag(app, clerk, "S1", "orange")
    assert caught.value.details["field"] == "flag"
    with pytest.raises(ValidationError) as caught:
        edits.set_remark(app, clerk, "S1", "长" * 1001)
    assert caught.value.details["field"] == "remark"


def test_a_stale_expected_version_is_a_conflict(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "A1")
    edits.set_remark(app, acme.admin, "A1", "first", expected_version=1)
    with pytest.raises(Conflict, match=r"A1 was changed by someone else .*version 1, now 3"):
        edits.edit_receiver(app, acme.admin, "A1", phone="13900005678", expected_version=1)
    assert order(app, "A1").local_remark == "first"
    assert edits.set_flag(app, acme.admin, "A1", "blue", expected_version=3).version == 5


def test_a_platform_encrypted_receiver_is_replaced_whole_only(app, acme, shop) -> None:
    masked = Contact(
        name="~AgAAAA==~",
        phone="$ciphered$",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        address="~AgAAAB==~",
        encrypted=True,
        name_masked="王*",
        phone_masked="138****5678",
        address_masked="文三路****",
    )
    store(app, acme.org_id, shop, "A1", receiver=masked)
    with pytest.raises(ValidationError, match="whole new receiver"):
        edits.edit_receiver(app, acme.admin, "A1", phone="13900005678")
    edits.edit_receiver(
        app, acme.admin, "A1", name="王小明", phone="13900005678", address="文三路 1 号"
    )
    stored = order(app, "A1")
    assert not stored.receiver_is_platform_encrypted
    assert (stored.receiver_name, stored.receiver_phone_masked) == ("王小明", "139****5678")


PDD_HEADER = (
    "商品,订单号,订单状态,商品总价(元),用户实付金额(元),商品数量(件),"
    "收货人,手机,省,市,区,街道,支付时间,售后状态"
)
PDD_ROW = (
    "保温杯,\t231125-1,待发货,39.90,39.90,1,"
    "王小明,13812345678,浙江省,杭州市,西湖区,文三路90号,2023-11-25 09:15:02,无售后或售后取消"
)


def test_reimporting_the_file_keeps_the_operators_receiver_and_says_so(app, acme, shop) -> None:
    data = f"{PDD_HEADER}\r\n{PDD_ROW}\r\n".encode("utf-8-sig")
    first = importing.import_orders(app, acme.admin, shop, io.BytesIO(data), "o.csv")
    assert first.new == 1
    edits.edit_receiver(app, acme.admin, "231125-1", phone="13900005678")
    again = importing.import_orders(app, acme.admin, shop, io.BytesIO(data), "o.csv")
    assert (again.updated, again.unchanged, again.not_applied) == (0, 1, 1)
    warnings = [i.message for i in again.issues if i.severity == "warning"]
    assert any("231125-1 differs from the stored copy, which is newer" in w for w in warnings)
    assert order(app, "231125-1").receiver_phone == "13900005678"


# --- two operators at once, on PostgreSQL ------------------------------------------------


def _flush_together(app, barrier: threading.Barrier) -> None:
    """Hold each session's first flush until both sessions have loaded the order."""
    waited = threading.local()

    @event.listens_for(app.sessions, "before_flush")
    def wait(session, context, instances) -> None:  # type: ignore[no-untyped-def]
        if not getattr(waited, "done", False):
            waited.done = True
            barrier.wait(timeout=20)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_operators_editing_at_once_one_wins_one_gets_a_conflict(
    app, acme, shop, settings
) -> None:
    store(app, acme.org_id, shop, "A1")
    barrier = threading.Barrier(2)
    apps = [open_app(settings) for _ in range(2)]
    results: dict[str, object] = {}

    def edit(name: str, work) -> None:  # type: ignore[no-untyped-def]
        try:
            results[name] = work()
        except Exception as exc:  # surfaced below
            results[name] = exc

    try:
        for other in apps:
            _flush_together(other, barrier)
        phone = partial(edits.edit_receiver, apps[0], acme.admin, "A1", phone="13900005678")
        address = partial(edits.edit_receiver, apps[1], acme.admin, "A1", address="新地址 9 号")
        threads = [
            threading.Thread(target=edit, args=("phone", phone)),
            threading.Thread(target=edit, args=("address", address)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for other in apps:
            other.close()
    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["Conflict", "Edit"], results
    loser = next(r for r in results.values() if isinstance(r, Conflict))
    assert "A1 was changed by someone else while you edited it" in str(loser)
    winner = next(name for name, r in results.items() if not isinstance(r, Conflict))
    stored = order(app, "A1")
    assert stored.version == 3  # the winner's edit, then the audit rules' check
    if winner == "phone":  # the winner's change stands whole, the loser's is not half-applied
        assert (stored.receiver_phone, stored.receiver_address) == (
            "13900005678",
            "文三路 90 号 东部软件园 3 号楼",
        )
    else:
        assert (stored.receiver_phone, stored.receiver_address) == ("13812345678", "新地址 9 号")
    assert len(events(app, acme.org_id, "order.edit_receiver")) == 1


def test_times_do_not_go_backwards_after_an_edit(app, acme, shop) -> None:
    later = T0 + timedelta(days=3650)  # an import time in the future of the edit
    store(app, acme.org_id, shop, "A1", updated_at=later)
    edits.edit_receiver(app, acme.admin, "A1", phone="13900005678")
    assert order(app, "A1").platform_updated_at == later


def test_the_cli_edits_and_never_shows_the_receiver_in_clear(app, acme, shop, cli_env, capsys):
    store(app, acme.org_id, shop, "A1")
    code, out, err = run(
        capsys,
        "orders",
        "edit",
        "A1",
        "--phone",
        "13900005678",
        "--address",
        "新华路 88 号 3 幢 501",
        "--json",
    )
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["order"], shown["version"], shown["changed"]) == ("A1", 3, True)
    assert shown["after"]["receiver_phone"] == "139****5678"
    code, out, err = run(capsys, "orders", "edit", "A1", "--name", "李四")
    assert code == 0 and "receiver_name" in out and "李*" in out and "version 5" in err
    for text in (out, err, json.dumps(shown, ensure_ascii=False)):
        assert "13900005678" not in text and "3 幢 501" not in text and "李四" not in text
    code, out, err = run(capsys, "orders", "edit", "A1", "--phone", "1", "--expect-version", "3")
    assert code == 1 and err.startswith("orderhub: error: phone:") and "Traceback" not in err
    code, _, err = run(capsys, "orders", "remark", "A1", "周末不收件", "--expect-version", "1")
    assert code == 1 and "version 1, now 5" in err
    assert run(capsys, "orders", "flag", "A1", "purple")[0] == 0
    code, out, _ = run(capsys, "orders", "flag", "A1", "purple", "--json")
    assert json.loads(out)["changed"] is False
    code, _, err = run(capsys, "orders", "remark", "NOPE", "x")
    assert (code, err.strip()) == (1, "orderhub: error: no order numbered NOPE")
    assert order(app, "A1").local_flag == "purple"
