"""core.orders.receiver: the one phone-shape check (audit rule and edits) and the keyed
receiver hash behind merge candidates."""

from __future__ import annotations

import pytest

from core.crypto import Keyring, generate_key
from core.orders.receiver import phone_shape_ok, receiver_hash_of


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "+86 138 1234 5678",
        "138-1234-5678",
        "0571-88886666",
        "0571-88886666-123",
        "（0571）88886666",
        "010 12345678",
        "13800000000-1234",  # a platform's virtual number with its extension
        "13800000000转88",
    ],
)
def test_phone_shapes_that_pass(phone: str) -> None:
    assert phone_shape_ok(phone)


@pytest.mark.parametrize(
    "phone", ["", "12345", "12812345678", "1381234567", "138123456789", "abc13812345678"]
)
def test_phone_shapes_that_fail(phone: str) -> None:
    assert not phone_shape_ok(phone)


def test_the_receiver_hash_folds_spelling_noise_but_not_real_differences() -> None:
    keyring = Keyring([generate_key()])
    base = {
        "name": "张三",
        "phone": "13812345678",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "address": "文三路 90 号",
    }
    same = receiver_hash_of(keyring, **base)
    assert same == receiver_hash_of(
        keyring, **{**base, "phone": "+86 138-1234-5678", "address": "文三路９０号"}
    )
    assert same != receiver_hash_of(keyring, **{**base, "address": "文三路 91 号"})
    assert receiver_hash_of(keyring, **{**base, "name": "", "phone": "", "address": ""}) is None
