"""The gateway signature (pinduoduo.md §1.3): the official vector and its properties."""

from __future__ import annotations

import hashlib
import json
import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from plugins.platforms.pinduoduo.settings import PinduoduoSettings
from plugins.platforms.pinduoduo.sign import sign_params, stringify
from plugins.platforms.pinduoduo.transport import GatewayTransport

OFFICIAL_PARAMS = {
    "access_token": "asd78172s8ds9a921j9qqwda12312w1w21211",
    "client_id": "1",
    "data_type": "XML",
    "order_status": "1",
    "page": "1",
    "page_size": "10",
    "timestamp": "1480411125",
    "type": "pdd.order.number.list.get",
}

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ABCXYZ0123456789", min_size=1, max_size=12)
values = st.text(max_size=30)  # any unicode, including CJK, emoji and control characters
param_maps = st.dictionaries(names.filter(lambda n: n != "sign"), values, max_size=12)
secrets = st.text(alphabet="abcdef0123456789", min_size=1, max_size=40)


def reference_sign(params: dict[str, str], secret: str) -> str:
    """The §1.3 recipe written out independently: byte-sorted names, bytes concatenated."""
    body = b"".join(
        name.encode() + params[name].encode("utf-8")
        for name in sorted((n for n in params if n != "sign"), key=str.encode)
    )
    data = secret.encode() + body + secret.encode()
    return hashlib.md5(data, usedforsecurity=False).hexdigest().upper()


def test_official_vector() -> None:
    assert sign_params(OFFICIAL_PARAMS, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"


def test_official_vector_is_independent_of_insertion_order_and_an_old_sign() -> None:
    shuffled = dict(reversed(list(OFFICIAL_PARAMS.items())))
    shuffled["sign"] = "SOMETHING-STALE"
    assert sign_params(shuffled, "testSecret") == "E4DE3ED21002510DED352819E7AE6775"


@given(param_maps, secrets, st.randoms())
def test_order_independence(params: dict[str, str], secret: str, rnd: random.Random) -> None:
    items = list(params.items())
    rnd.shuffle(items)
    assert sign_params(dict(items), secret) == sign_params(params, secret)


@given(param_maps, secrets, values)
def test_sign_parameter_is_excluded(params: dict[str, str], secret: str, old: str) -> None:
    assert sign_params({**params, "sign": old}, secret) == sign_params(params, secret)


@given(param_maps, secrets)
def test_matches_the_written_out_recipe_for_unicode_values(
    params: dict[str, str], secret: str
) -> None:
    signed = sign_params(params, secret)
    assert signed == reference_sign(params, secret)
    assert len(signed) == 32 and signed == signed.upper()


@given(param_maps, secrets, names.filter(lambda n: n != "sign"), values, values)
def test_every_value_is_covered(params, secret, name, one, other) -> None:
    assume(one != other)
    first = sign_params({**params, name: one}, secret)
    assert first != sign_params({**params, name: other}, secret)


def test_names_sort_by_ascii_bytes_not_case_folded() -> None:
    # "Z" (0x5A) sorts before "a" (0x61) and "_" (0x5F) between them.
    params = {"a": "1", "Z": "2", "_x": "3"}
    expected = hashlib.md5(b"sZ2_x3a1s", usedforsecurity=False).hexdigest().upper()
    assert sign_params(params, "s") == expected


@pytest.mark.parametrize(
    ("value", "text"), [(True, "true"), (False, "false"), (0, "0"), (100, "100"), ("中文", "中文")]
)
def test_stringify_scalars(value: object, text: str) -> None:
    assert stringify(value) == text


@given(st.booleans(), secrets)
def test_booleans_sign_as_java_text(flag: bool, secret: str) -> None:
    as_sent = {"use_has_next": stringify(flag)}
    assert as_sent["use_has_next"] in ("true", "false")
    assert sign_params(as_sent, secret) == reference_sign(
        {"use_has_next": "true" if flag else "false"}, secret
    )


def test_non_text_values_are_refused_rather_than_rendered_differently() -> None:
    with pytest.raises(TypeError, match="stringify"):
        sign_params({"use_has_next": True}, "s")  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        stringify(None)
    with pytest.raises(TypeError):
        stringify(object())


class _NoWait:
    def acquire(self, api: str, shop: str | None) -> float:
        return 0.0


#: One transport for the property test (building an HTTP client per example is slow);
#: `signed_params` never sends, it only builds and signs the form.
SIGNING = GatewayTransport(PinduoduoSettings(client_id="cid", client_secret="x"), _NoWait())

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
    max_leaves=12,
)


@given(st.lists(st.dictionaries(names, json_values, max_size=4), max_size=4), secrets)
def test_json_params_are_signed_exactly_as_sent(data_list: list[dict], secret: str) -> None:
    """The transport signs the compact JSON text it puts in the form, nothing else."""
    SIGNING.settings = PinduoduoSettings(client_id="cid", client_secret=secret)
    fields = SIGNING.signed_params("pdd.open.decrypt.batch", {"data_list": data_list}, "tok")
    sent = fields["data_list"]
    assert json.loads(sent) == data_list
    assert sent == json.dumps(data_list, ensure_ascii=False, separators=(",", ":"))
    assert fields["sign"] == reference_sign(fields, secret)


def test_signed_params_carry_the_common_parameters() -> None:
    transport = GatewayTransport(
        PinduoduoSettings(client_id="cid", client_secret="sec"), limiter=_NoWait()
    )
    fields = transport.signed_params(
        "pdd.order.number.list.increment.get",
        {"use_has_next": False, "page": 2, "trade_type": None},
        "token-1",
    )
    transport.close()
    assert fields["type"] == "pdd.order.number.list.increment.get"
    assert fields["client_id"] == "cid" and fields["access_token"] == "token-1"
    assert fields["data_type"] == "JSON" and fields["version"] == "V1"
    assert fields["timestamp"].isdigit() and len(fields["timestamp"]) == 10  # seconds
    assert fields["use_has_next"] == "false" and fields["page"] == "2"
    assert "trade_type" not in fields  # None means "leave out"
    assert fields["sign"] == reference_sign(fields, "sec")
    with pytest.raises(ValueError, match="client_id"):
        transport.signed_params("pdd.time.get", {"client_id": "other"}, None)
