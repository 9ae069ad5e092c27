"""Order APIs: window and page rules, paging totals, order content, detail and status."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from plugins.platforms.pinduoduo.sandbox.clock import parse_beijing
from tests.sandbox.conftest import ALL, INCREMENT, Gateway, now_ts

DAY = 86_400


def _truth(gw: Gateway, owner_id: str) -> dict[str, dict]:
    return {t["order"]["order_sn"]: t["order"] for t in gw.server.sandbox.ground_truth(owner_id)}


def _busy_window(gw: Gateway, owner_id: str, at_least: int) -> tuple[int, int]:
    """A 30-minute window ending on an order's update time that holds ≥ `at_least` orders."""
    times = sorted(parse_beijing(o["updated_at"]) for o in _truth(gw, owner_id).values())
    best = max(
        range(len(times)), key=lambda i: sum(1 for t in times if times[i] - 1800 <= t <= times[i])
    )
    end = times[best]
    count = sum(1 for t in times if end - 1800 <= t <= end)
    assert count >= at_least, f"seed has at most {count} orders in 30 minutes"
    return end - 1800, end


@pytest.mark.parametrize(
    ("business", "reason"),
    [
        ({"start_updated_at": 1000, "end_updated_at": 1000 + 1801}, "30 分钟"),
        ({"start_updated_at": 2000, "end_updated_at": 2000}, "必须小于"),
        ({"start_updated_at": 2000, "end_updated_at": 1000}, "必须小于"),
        ({"start_updated_at": 1000, "end_updated_at": 1600, "page_size": 101}, "page_size"),
        ({"start_updated_at": 1000, "end_updated_at": 1600, "page_size": 0}, "page_size"),
        ({"start_updated_at": 1000, "end_updated_at": 1600, "page": 0}, "page"),
        ({"start_updated_at": "yesterday", "end_updated_at": 1600}, "start_updated_at"),
        ({"start_updated_at": 1000, "end_updated_at": 1600, "order_status": 4}, "order_status"),
        ({"end_updated_at": 1600}, "start_updated_at"),
    ],
)
def test_increment_window_and_page_rules(
    gw: Gateway, token: str, business: dict, reason: str
) -> None:
    error = gw.error(INCREMENT, token, **{**ALL, **business})
    assert error["error_code"] == 10000 and reason in error["sub_msg"]


def test_increment_requires_the_status_filters(gw: Gateway, token: str) -> None:
    for missing in ("order_status", "refund_status", "is_lucky_flag"):
        business = {**ALL, "start_updated_at": 1000, "end_updated_at": 1600}
        business.pop(missing)
        assert missing in gw.error(INCREMENT, token, **business)["sub_msg"]


def test_a_window_of_exactly_thirty_minutes_is_allowed(gw: Gateway, token: str) -> None:
    now = now_ts()
    assert "order_sn_list" in gw.ok(
        INCREMENT, token, start_updated_at=now - 1800, end_updated_at=now, **ALL
    )


def test_paging_covers_the_window_exactly_once_newest_first(gw: Gateway, token: str) -> None:
    owner_id = gw.server.sandbox.shops[0].owner_id
    start, end = _busy_window(gw, owner_id, 8)
    pages = gw.pages(token, start, end, page_size=3)
    total = pages[0]["total_count"]
    listed = [o for page in pages for o in page["order_sn_list"]]
    expected = {
        sn
        for sn, o in _truth(gw, owner_id).items()
        if start <= parse_beijing(o["updated_at"]) <= end
    }
    assert total == len(expected) == len(listed) == len({o["order_sn"] for o in listed})
    assert {o["order_sn"] for o in listed} == expected
    assert all(p["has_next"] for p in pages[:-1]) and not pages[-1]["has_next"]
    assert len(pages) == -(-total // 3)
    stamps = [(o["updated_at"], o["order_sn"]) for o in listed]
    assert stamps == sorted(stamps, reverse=True)


def test_use_has_next_omits_the_total(gw: Gateway, token: str) -> None:
    owner_id = gw.server.sandbox.shops[0].owner_id
    start, end = _busy_window(gw, owner_id, 4)
    body = gw.ok(
        INCREMENT,
        token,
        start_updated_at=start,
        end_updated_at=end,
        page_size=2,
        use_has_next=True,
        **ALL,
    )
    assert "total_count" not in body and body["has_next"] is True


def test_a_page_past_the_end_is_empty(gw: Gateway, token: str) -> None:
    now = now_ts()
    body = gw.ok(INCREMENT, token, start_updated_at=now - 1800, end_updated_at=now, page=99, **ALL)
    assert body["order_sn_list"] == [] and body["has_next"] is False


def test_filters_by_order_and_refund_status(gw: Gateway, token: str) -> None:
    owner_id = gw.server.sandbox.shops[0].owner_id
    truth = _truth(gw, owner_id)
    end = now_ts()
    for start in range(end - 7 * DAY - 3600, end, 1801):
        stop = min(start + 1800, end)
        body = gw.ok(
            INCREMENT,
            token,
            start_updated_at=start,
            end_updated_at=stop,
            order_status=2,
            refund_status=5,
            is_lucky_flag=0,
        )
        expected = [
            sn
            for sn, o in truth.items()
            if o["order_status"] == 2 and start <= parse_beijing(o["updated_at"]) <= stop
        ]
        assert body["total_count"] == len(expected)
        assert all(o["order_status"] == 2 for o in body["order_sn_list"])


def test_the_seeded_orders_are_realistic_and_consistent(gw: Gateway) -> None:
    orders = [t["order"] for t in gw.server.sandbox.ground_truth()]
    assert len(orders) == 400
    statuses = {(o["order_status"], o["refund_status"]) for o in orders}
    assert {(1, 1), (2, 1), (3, 1)} <= statuses
    assert {o["refund_status"] for o in orders} == {1, 2, 3, 4}
    assert any(len(o["item_list"]) > 1 for o in orders)
    assert any(o["buyer_memo"] for o in orders) and any(o["remark_tag"] for o in orders)
    assert len({o["province"] for o in orders}) >= 15
    # Returning buyers: the same merge key means the same receiver (orders to merge).
    truth = gw.server.sandbox.ground_truth()
    by_key: dict[str, set] = {}
    for t in truth:
        by_key.setdefault(t["order"]["open_address_id"], set()).add(
            tuple(sorted(t["receiver"].items()))
        )
    assert len(by_key) < len(truth) and all(len(r) == 1 for r in by_key.values())
    for o in orders:
        fen = {
            k: round(o[k] * 100)
            for k in (
                "pay_amount",
                "goods_amount",
                "discount_amount",
                "platform_discount",
                "seller_discount",
                "capital_free_discount",
                "postage",
                "order_change_amount",
            )
        }
        assert all(f"{o[k]:.2f}" == f"{fen[k] / 100:.2f}" and fen[k] >= 0 for k in fen)
        gross = sum(round(i["goods_price"] * 100) * i["goods_count"] for i in o["item_list"])
        assert fen["goods_amount"] == gross - fen["order_change_amount"]
        assert fen["discount_amount"] == (
            fen["platform_discount"] + fen["seller_discount"] + fen["capital_free_discount"]
        )
        assert fen["pay_amount"] == fen["goods_amount"] - fen["discount_amount"] + fen["postage"]
        assert parse_beijing(o["updated_at"]) >= parse_beijing(o["pay_time"])
        assert o["created_time"] <= o["pay_time"]
        if o["order_status"] >= 2:
            assert o["shipping_time"] and o["tracking_number"] and o["logistics_id"]
        if o["confirm_status"] == 1:
            assert parse_beijing(o["last_ship_time"]) == parse_beijing(o["confirm_time"]) + 2 * DAY


def test_receiver_ciphertext_only_while_awaiting_shipment(gw: Gateway) -> None:
    for truth in gw.server.sandbox.ground_truth():
        o = truth["order"]
        fields = ("receiver_name", "receiver_address", "address")
        if o["order_status"] == 1 and o["risk_control_status"] == 0:
            assert all(o[f].startswith("~") and o[f].endswith("~1~~") for f in fields)
            for phone_field in ("receiver_phone", "contact_mobile"):
                assert re.fullmatch(r"\$[A-Za-z0-9+/]{12}\$[A-Za-z0-9+/=]+\$1\$\$", o[phone_field])
            assert all(
                re.fullmatch(r"~[A-Za-z0-9+/=]+~[A-Za-z0-9+/]{12}~1~~", o[f]) for f in fields
            )
        else:
            assert all(o[f] == "" for f in (*fields, "receiver_phone", "contact_mobile"))
        name, phone = truth["receiver"]["name"], truth["receiver"]["phone"]
        assert o["receiver_name_mask"] == name[0] + "*" * (len(name) - 1)
        assert o["receiver_phone_mask"] == phone[:3] + "****" + phone[-4:]
        assert not any(ch.isdigit() for ch in o["receiver_address_mask"])
        assert o["address_mask"].startswith(o["province"] + o["city"] + o["town"])


def test_the_same_seed_gives_the_same_orders(gw: Gateway) -> None:
    first = gw.server.sandbox.ground_truth()
    gw.server.sandbox.reset()
    assert gw.server.sandbox.ground_truth() == first
    gw.server.sandbox.reset(seed=8)
    assert gw.server.sandbox.ground_truth() != first


def test_order_list_by_confirm_time_allows_a_day(gw: Gateway, token: str) -> None:
    api = "pdd.order.list.get"
    now = now_ts()
    owner_id = gw.server.sandbox.shops[0].owner_id
    body = gw.ok(
        api, token, start_confirm_at=now - DAY, end_confirm_at=now, order_status=5, refund_status=5
    )
    expected = {
        sn
        for sn, o in _truth(gw, owner_id).items()
        if o["confirm_time"] and now - DAY <= parse_beijing(o["confirm_time"]) <= now
    }
    assert body["total_count"] == len(expected) > 0
    error = gw.error(
        api,
        token,
        start_confirm_at=now - DAY - 1,
        end_confirm_at=now,
        order_status=5,
        refund_status=5,
    )
    assert error["error_code"] == 10000


def test_orders_older_than_ninety_days_drop_out(gw: Gateway) -> None:
    sandbox = gw.server.sandbox
    owner_id = sandbox.shops[0].owner_id
    old = next(sandbox.store.shop_orders(owner_id)).sn
    sandbox.advance(91 * DAY)
    sandbox.update(old, remark="三个月后的备注")  # a late update, now in a fresh window
    sandbox.add_orders(1, owner_id)
    [new] = [o.sn for o in sandbox.store.shop_orders(owner_id)][-1:]
    token = sandbox.grant(owner_id)["access_token"]  # the first one expired meanwhile
    now = sandbox.now()
    body = gw.ok(INCREMENT, token, start_updated_at=now - 600, end_updated_at=now, **ALL)
    assert [o["order_sn"] for o in body["order_sn_list"]] == [new]  # not the 91-day-old one


def test_order_detail_and_the_foreign_order_error(gw: Gateway, token: str) -> None:
    sandbox = gw.server.sandbox
    mine = next(sandbox.store.shop_orders(sandbox.shops[0].owner_id))
    theirs = next(sandbox.store.shop_orders(sandbox.shops[1].owner_id))
    info = gw.ok("pdd.order.information.get", token, order_sn=mine.sn)["order_info"]
    assert info == _truth(gw, mine.owner_id)[mine.sn]
    for sn in (theirs.sn, "200101-000000000000000"):
        error = gw.error("pdd.order.information.get", token, order_sn=sn)
        assert "订单不属于当前店铺或订单不存在" in (error["error_msg"], error["sub_msg"])


def test_order_status_answers_per_order_with_zero_for_unknown(gw: Gateway, token: str) -> None:
    sandbox = gw.server.sandbox
    mine = list(sandbox.store.shop_orders(sandbox.shops[0].owner_id))[:3]
    theirs = next(sandbox.store.shop_orders(sandbox.shops[1].owner_id))
    sns = [o.sn for o in mine] + [theirs.sn]
    listed = gw.ok("pdd.order.status.get", token, order_sns=",".join(sns))["order_status_list"]
    assert [x["orderSn"] for x in listed] == sns
    for item, order in zip(listed, mine, strict=False):
        assert (item["order_status"], item["refund_status"]) == (
            order.order_status,
            order.refund_status,
        )
    assert (listed[-1]["order_status"], listed[-1]["refund_status"]) == (0, 0)


def test_refunds_and_late_updates_show_up_in_the_current_window(
    gw: Gateway, token: str, frozen_clock: list
) -> None:
    sandbox = gw.server.sandbox
    owner_id = sandbox.shops[0].owner_id
    old = min(sandbox.store.shop_orders(owner_id), key=lambda o: o.updated_ts)
    assert now_ts() - old.updated_ts > 3 * DAY
    frozen_clock[0] += timedelta(minutes=5)
    sandbox.refund(old.sn, 3)
    now = now_ts()
    body = gw.ok(INCREMENT, token, start_updated_at=now - 60, end_updated_at=now, **ALL)
    [listed] = [o for o in body["order_sn_list"] if o["order_sn"] == old.sn]
    assert (listed["refund_status"], listed["after_sales_status"]) == (3, 4)
    assert parse_beijing(listed["updated_at"]) == now
    refunding = gw.ok(
        INCREMENT,
        token,
        start_updated_at=now - 60,
        end_updated_at=now,
        order_status=5,
        refund_status=3,
        is_lucky_flag=0,
    )["order_sn_list"]
    assert old.sn in {o["order_sn"] for o in refunding}


def test_decrypt_batch_opens_the_shops_own_ciphertexts(gw: Gateway, token: str) -> None:
    sandbox = gw.server.sandbox
    truth = next(
        t for t in sandbox.ground_truth(sandbox.shops[0].owner_id) if t["order"]["receiver_name"]
    )
    o = truth["order"]
    items = [
        {"data_tag": o["order_sn"], "encrypted_data": o[f]}
        for f in ("receiver_name", "receiver_phone", "address", "receiver_address")
    ]
    items.append({"data_tag": o["order_sn"], "encrypted_data": "~garbage~~"})
    result = gw.ok("pdd.open.decrypt.batch", token, data_list=items)["data_decrypt_list"]
    receiver = truth["receiver"]
    assert [(r["decrypted_data"], r["data_type"], r["error_code"]) for r in result[:4]] == [
        (receiver["name"], 5, 0),
        (receiver["phone"], 6, 0),
        (receiver["full_address"], 7, 0),
        (receiver["address"], 8, 0),
    ]
    assert result[4]["error_code"] != 0 and result[4]["decrypted_data"] == ""
    masked = gw.ok("pdd.open.decrypt.mask.batch", token, data_list=items[:2])["data_decrypt_list"]
    assert masked[0]["decrypted_data"] == o["receiver_name_mask"]
    assert masked[1]["decrypted_data"] == o["receiver_phone_mask"]


def test_decrypt_refuses_other_shops_and_oversized_batches(gw: Gateway, token: str) -> None:
    sandbox = gw.server.sandbox
    theirs = next(
        t for t in sandbox.ground_truth(sandbox.shops[1].owner_id) if t["order"]["receiver_name"]
    )["order"]
    item = {"data_tag": theirs["order_sn"], "encrypted_data": theirs["receiver_name"]}
    [result] = gw.ok("pdd.open.decrypt.batch", token, data_list=[item])["data_decrypt_list"]
    assert result["error_code"] != 0 and result["decrypted_data"] == ""
    error = gw.error("pdd.open.decrypt.batch", token, data_list=[item] * 101)
    assert error["error_code"] == 10000 and "100" in error["sub_msg"]
