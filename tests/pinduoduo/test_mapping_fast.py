"""The mapping's fast paths agree with its checked readers.

`order_from_payload` reads the gateway's usual JSON shapes through `scalars.fast_*` and
`mapping._fast_line` and hands anything else to the checked readers. These tests hold the
two to the same answers: value by value (hypothesis), and order by order on sandbox orders
rewritten into forms only the checked readers take.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.clock import SHANGHAI
from core.errors import ValidationError
from plugins.platforms.pinduoduo import mapping, scalars
from plugins.platforms.pinduoduo.sandbox.ciphers import Cipher
from plugins.platforms.pinduoduo.sandbox.generator import OrderFactory, make_shops
from plugins.platforms.pinduoduo.transport import parse_json
from tests.pinduoduo.fixtures import load


def sandbox_payloads(count: int) -> list[dict[str, Any]]:
    """Orders as the sandbox sends them (every status, ciphertext while 待发货)."""
    cipher = Cipher("5")
    factory = OrderFactory(5, make_shops(5, 2), cipher)
    orders = factory.seed_orders(count, 1_780_000_000, 3.0)
    return [parse_json(o.render(cipher)) for o in orders]  # type: ignore[misc]


# ---------------------------------------------------------------------- value by value


@given(
    st.datetimes(min_value=datetime(1992, 1, 1), max_value=datetime(9999, 12, 31)),
    st.sampled_from([" ", "T"]),
    st.booleans(),
)
def test_fast_time_is_the_zone_database_answer(moment: datetime, sep: str, micro: bool) -> None:
    moment = moment if micro else moment.replace(microsecond=0)
    text = moment.isoformat(sep)
    expected = moment.replace(tzinfo=SHANGHAI).astimezone(UTC)
    fast = scalars.fast_time(text)
    assert fast == expected and fast.tzinfo is UTC
    assert scalars.beijing_time(text, "updated_at", "X") == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Beijing summer time (UTC+9) in 1991: the zone database, not a fixed offset.
        ("1991-06-01 12:00:00", datetime(1991, 6, 1, 3, 0, tzinfo=UTC)),
        ("1900-01-01 08:05:43", datetime(1900, 1, 1, 0, 0, tzinfo=UTC)),  # local mean time
        ("2024-06-01T08:00:00+00:00", datetime(2024, 6, 1, 8, 0, tzinfo=UTC)),
        (" 2024-06-01 08:00:00 ", datetime(2024, 6, 1, 0, 0, tzinfo=UTC)),
        (1717200000, datetime(2024, 6, 1, 0, 0, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_other_times_go_to_the_checked_reader(value: object, expected: datetime | None) -> None:
    assert scalars.fast_time(value) is None
    assert scalars.beijing_time(value, "pay_time", "X") == expected


@pytest.mark.parametrize(
    "value", ["2024-06-01", "2024-06-01 8:00", "yesterday", "2024-13-01 08:00"]
)
def test_bad_times_are_refused_by_the_checked_reader(value: str) -> None:
    assert scalars.fast_time(value) is None
    with pytest.raises(ValidationError, match="pay_time is not a time like"):
        scalars.beijing_time(value, "pay_time", "X")


@given(
    st.one_of(
        st.floats(min_value=-1e6, max_value=1e13),
        st.integers(min_value=-(10**6), max_value=10**13).map(lambda fen: fen / 100),
        st.integers(min_value=-(10**6), max_value=10**13),
        st.sampled_from([math.nan, math.inf, -0.0, True, False, None, "12.90"]),
    )
)
def test_fast_fen_is_money_or_nothing(value: object) -> None:
    fast = scalars.fast_fen(value)
    try:
        expected: int | None = scalars.money({"a": value}, "a", "X", required=True)
    except ValidationError:
        expected = None
    if fast is not None:
        assert fast == expected
    elif type(value) in (float, int):
        assert expected is None  # a JSON number the fast path leaves is one money refuses
    assert scalars.fast_fen(value) == fast  # memoised or not, the same answer


@pytest.mark.parametrize(
    ("value", "fast"),
    [
        ("1180459247731", "1180459247731"),
        (" 11804 ", "11804"),
        (537281930214, "537281930214"),
        ("", None),
        ("   ", None),
        (None, None),
        (True, None),
        (1.5, None),
    ],
)
def test_fast_id(value: object, fast: str | None) -> None:
    assert scalars.fast_id(value) == fast
    if fast is not None:
        assert scalars.id_text(value, "sku_id", "X") == fast


# ---------------------------------------------------------------------- order by order


def as_text(value: object) -> str:
    """A JSON number as the text of its digits (`repr`: exactly what was sent)."""
    return value if isinstance(value, str) else repr(value)


def checked_only(payload: dict[str, Any]) -> dict[str, Any]:
    """The same order in forms only the checked readers take: times padded with spaces,
    numbers as text, ids padded, lines and tag entries as read-only mappings."""
    slow = dict(payload)
    for key in ("created_time", "updated_at", "pay_time", "last_ship_time"):
        if slow.get(key):
            slow[key] = f" {slow[key]} "
    for key in ("order_status", "refund_status", "confirm_status"):
        slow[key] = str(slow[key])
    for key in (
        "goods_amount",
        "pay_amount",
        "postage",
        "platform_discount",
        "seller_discount",
        "capital_free_discount",
    ):
        if slow.get(key) is not None:
            slow[key] = as_text(slow[key])
    slow["remark_tag"] = "" if slow.get("remark_tag") is None else str(slow["remark_tag"])
    for key in ("item_list", "gift_list"):
        slow[key] = [
            MappingProxyType(
                {
                    **item,
                    "sku_id": f" {item['sku_id']} ",
                    "goods_price": as_text(item["goods_price"]),
                }
            )
            for item in slow.get(key) or []
        ]
    slow["order_tag_list"] = [MappingProxyType(e) for e in slow.get("order_tag_list") or []]
    return slow


def test_fast_and_checked_paths_map_sandbox_orders_alike() -> None:
    payloads = sandbox_payloads(400)
    statuses = {(p["order_status"], p["refund_status"], p["confirm_status"]) for p in payloads}
    assert len(statuses) >= 4  # the sample spans the lifecycle, not one status
    for payload in payloads:
        fast = mapping.order_from_payload(payload)
        slow = mapping.order_from_payload(checked_only(payload))
        assert fast == slow  # every compared field, lines and receiver included
        assert fast.platform_status == slow.platform_status and fast.tags == slow.tags
        assert fast.created_at.tzinfo is UTC and slow.created_at.tzinfo is UTC
        assert dict(fast.raw) == payload


def test_fixture_orders_alike_on_both_paths() -> None:
    for name in ("order_awaiting_shipment", "order_shipped_refunding", "order_cancelled"):
        payload = load(name)
        assert mapping.order_from_payload(payload) == mapping.order_from_payload(
            checked_only(payload)
        )


@pytest.mark.parametrize(
    ("change", "title", "error"),
    [
        ({"goods_name": True}, "True", None),  # True == 1, but its text is not "1"
        ({"goods_name": 1.0}, "1.0", None),
        ({"goods_name": 1}, "1", None),
        ({"goods_count": True}, None, "goods_count is not a number"),
        ({"goods_count": 1.0}, None, "goods_count is not a number"),
        ({"goods_price": True}, None, "goods_price is not an amount"),
        ({"sku_id": True}, None, "sku_id is not an id"),
        ({"sku_id": 1.0}, None, "sku_id is not an id"),
    ],
)
def test_remembered_lines_never_stand_in_for_other_values(
    change: dict[str, Any], title: str | None, error: str | None
) -> None:
    payload = load("order_awaiting_shipment")
    payload["item_list"][0].update(goods_name="1", goods_count=1, goods_price=1, sku_id=1)
    first = mapping.order_from_payload(payload).lines[0]
    again = mapping.order_from_payload(
        load("order_awaiting_shipment") | {"item_list": [dict(payload["item_list"][0])]}
    ).lines[0]
    assert again == first and (first.title, first.quantity, first.sku_id) == ("1", 1, "1")
    payload["item_list"][0].update(change)
    if error:
        with pytest.raises(ValidationError, match=error):
            mapping.order_from_payload(payload)
    else:
        assert mapping.order_from_payload(payload).lines[0].title == title


def test_memoised_amounts_do_not_hide_bad_ones() -> None:
    payload = load("order_awaiting_shipment")
    mapping.order_from_payload(payload)  # 5.0 (postage) is now memoised
    payload["postage"] = -5.0
    with pytest.raises(ValidationError, match=r"postage is negative: -5\.0"):
        mapping.order_from_payload(payload)
    payload["postage"] = True  # equal to 1, but not an amount
    with pytest.raises(ValidationError, match="postage is not an amount"):
        mapping.order_from_payload(payload)


@pytest.mark.parametrize(
    ("postage", "problem"),
    [
        (10**13, "is implausibly large"),  # beyond MAX_YUAN, toward BIGINT's limit
        (10**30, "is implausibly large"),
        (1e16, "1e+16"),
        (math.inf, "inf"),  # checked_only sends it as the text 'inf'; refused either way
        ("1e3", "'1e3' is not an amount in yuan"),
        ("5,00", "'5,00' is not an amount in yuan"),
    ],
)
def test_amounts_beyond_money_are_refused_on_every_path(postage: object, problem: str) -> None:
    payload = load("order_awaiting_shipment")
    payload["postage"] = postage
    pattern = f"postage is not an amount: .*{re.escape(problem)}"
    with pytest.raises(ValidationError, match=pattern):
        mapping.order_from_payload(payload)
    with pytest.raises(ValidationError, match=pattern):
        mapping.order_from_payload(checked_only(payload))


def test_times_of_every_sandbox_order_are_exact() -> None:
    """Spot check against a direct computation, away from the readers under test."""
    for payload in sandbox_payloads(50):
        order = mapping.order_from_payload(payload)
        wall = datetime.strptime(payload["updated_at"], "%Y-%m-%d %H:%M:%S")
        assert order.updated_at == (wall - timedelta(hours=8)).replace(tzinfo=UTC)
