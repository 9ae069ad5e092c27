"""`PlatformOrder.raw_personal` of Pinduoduo orders: False only when every personal-data
field (`mapping.PERSONAL_FIELDS`, `PERSONAL_LIST_FIELDS`) is empty or platform ciphertext,
so core may store such payloads without encrypting them again."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.platforms.pinduoduo import mapping
from tests.pinduoduo.fixtures import load
from tests.pinduoduo.test_mapping_fast import sandbox_payloads

CIPHER_NAME = "~AgAAAACjmWAFZ1vG5ABcHJJ+v1G1LcKH2BRzsYjGe/s=~niqTGhCNifXk~1~~"
CIPHER_PHONE = "$WsuJt4Yh3K7a$AgAAAACjmWAGZ1vG5ABLUicfAzPuXzSdjyz1biPoE6E=$1$$"


def test_ciphertext_and_empty_personal_fields_are_not_personal_data() -> None:
    awaiting = load("order_awaiting_shipment")  # ciphertext receiver, empty contact_mobile
    assert mapping.order_from_payload(awaiting).raw_personal is False
    shipped = load("order_shipped_refunding")  # shipped: empty ciphertext fields, masks
    assert mapping.order_from_payload(shipped).raw_personal is False
    awaiting.update(contact_mobile=CIPHER_PHONE, card_info_list=[{"card_no": CIPHER_NAME}])
    assert mapping.order_from_payload(awaiting).raw_personal is False


def test_sandbox_orders_carry_no_personal_data_in_clear() -> None:
    payloads = sandbox_payloads(200)
    assert any(p["receiver_name"] for p in payloads) and any(
        not p["receiver_name"] for p in payloads
    )
    assert not any(mapping.order_from_payload(p).raw_personal for p in payloads)


@pytest.mark.parametrize("field", mapping.PERSONAL_FIELDS)
def test_any_clear_personal_field_makes_raw_personal(field: str) -> None:
    payload = load("order_awaiting_shipment")
    payload[field] = "王芳" if "name" in field else "13812345621"
    assert mapping.order_from_payload(payload).raw_personal is True


@pytest.mark.parametrize(
    "change",
    [
        {"receiver_phone": 13812345621},  # a number is clear text too
        {"receiver_name": "~"},  # too short to be ciphertext
        {"receiver_address": "~文三路1号$"},  # mismatched ends: not ciphertext
        {"card_info_list": [{"card_no": "6222020200112233", "mask_password": ""}]},
        {"card_info_list": [{"card_no": "", "mask_password": "8888-1234"}]},
        {"card_info_list": ["6222020200112233"]},
        {"card_info_list": "6222020200112233"},  # not a list: assume the worst
    ],
)
def test_clear_values_of_other_shapes_are_personal(change: dict[str, Any]) -> None:
    payload = load("order_awaiting_shipment")
    payload.update(change)
    assert mapping.order_from_payload(payload).raw_personal is True


def test_plain_receiver_makes_raw_personal() -> None:
    payload = load("order_awaiting_shipment")
    payload.update(receiver_name="王芳", receiver_phone="13812345621", receiver_address="文三路1号")
    order = mapping.order_from_payload(payload)
    assert order.raw_personal is True and order.receiver.encrypted is False


def test_masks_are_not_personal_data_in_clear() -> None:
    payload = load("order_shipped_refunding")
    assert payload["receiver_name_mask"] and payload["address_mask"]
    assert mapping.has_personal_data(payload) is False
    assert mapping.has_personal_data({**payload, "receiver_name": None}) is False
