"""Money parsing: yuan text → integer fen, exactly, with clear errors (property tests)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.contracts import types as contract_types
from core.errors import ValidationError
from core.money import MAX_FEN, MAX_YUAN, fen_to_yuan_text, whole_fen, yuan_to_fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("12.90", 1290),
        ("0.1", 10),
        (" 12.90\t", 1290),
        ("¥1,299.00", 129900),
        ("5", 500),
        (0.29, 29),
        (1.15, 115),
        (19.99, 1999),
        (12, 1200),
        (Decimal("0.07"), 7),
        ("-3.5", -350),
        ("１２.５", 1250),
    ],
)
def test_known_amounts(value, fen) -> None:
    assert yuan_to_fen(value) == fen


@pytest.mark.parametrize("bad", ["", "  ", "abc", "1.234", "NaN", "inf", None, True, "1e400"])
def test_bad_amounts_name_the_field(bad) -> None:
    with pytest.raises(ValidationError) as info:
        yuan_to_fen(bad, field="pay_amount")
    assert info.value.details["field"] == "pay_amount"
    assert "pay_amount" in str(info.value)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_round_trip_through_text(fen: int) -> None:
    assert yuan_to_fen(fen_to_yuan_text(fen)) == fen


@given(st.integers(min_value=0, max_value=10**9))
def test_json_floats_parse_to_the_digits_sent(fen: int) -> None:
    """What json.loads makes of `12.34` must come back as 1234, not 1233.999…"""
    parsed = json.loads(json.dumps({"v": json.loads(fen_to_yuan_text(fen))}))["v"]
    assert yuan_to_fen(parsed) == fen


@given(st.text(max_size=20))
def test_arbitrary_text_never_crashes_or_rounds(text: str) -> None:
    try:
        fen = yuan_to_fen(text)
    except ValidationError:
        return
    assert Decimal(fen) / 100 == Decimal(fen_to_yuan_text(fen))


# ------------------------------------------------------------ what a merchant writes


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1,234.50", 123450),
        ("1,234,567.89", 123456789),
        ("999,999,999,999", 99999999999900),
        ("1,000,000,000,000", 100000000000000),  # MAX_YUAN itself
        ("19,900", 1990000),  # a comma before three digits separates thousands
        ("0.07", 7),
        ("007.50", 750),
        ("¥ 12.90", 1290),
        ("￥12.90", 1290),
        ("-¥5.00", -500),
        ("¥-5.00", -500),
        ("12.90元", 1290),
        ("12.90 元", 1290),
        ("RMB 12.90", 1290),
        ("CNY1,299", 129900),
        ("\u00a012.90\u3000", 1290),  # no-break and ideographic spaces from exports
        ("-0.00", 0),
    ],
)
def test_yuan_texts_a_merchant_writes(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("19,90", "not an amount in yuan"),  # a decimal comma: 19.90, not 1990
        ("12,5", "not an amount in yuan"),
        ("1,23,4", "not an amount in yuan"),
        ("1,2345", "not an amount in yuan"),
        ("12,34.50", "not an amount in yuan"),
        (",123", "not an amount in yuan"),
        ("1,234,", "not an amount in yuan"),
        ("0,500", "not an amount in yuan"),
        ("1.234,50", "not an amount in yuan"),
        ("1 234.50", "not an amount in yuan"),
        ("1_000", "not an amount in yuan"),
        ("1e3", "not an amount in yuan"),
        ("1E+3", "not an amount in yuan"),
        ("0x10", "not an amount in yuan"),
        ("Infinity", "not an amount in yuan"),
        ("-nan", "not an amount in yuan"),
        ("1.2.3", "not an amount in yuan"),
        ("12.", "not an amount in yuan"),
        (".5", "not an amount in yuan"),
        ("+5", "not an amount in yuan"),
        ("--5", "not an amount in yuan"),
        ("5-", "not an amount in yuan"),
        ("- 5", "not an amount in yuan"),
        ("1元2", "not an amount in yuan"),
        ("¥", "not an amount in yuan"),
        ("12a", "not an amount in yuan"),
        ("١٢", "not an amount in yuan"),  # Arabic-Indic digits
        ("12.345", "more than two decimals"),
        ("12.900", "more than two decimals"),
        ("1,000,000,000,000.01", "implausibly large"),
        ("9" * 5000, "implausibly large"),  # past int()'s digit limit: still our error
    ],
)
def test_other_texts_are_refused_naming_the_text(text: str, problem: str) -> None:
    with pytest.raises(ValidationError) as info:
        yuan_to_fen(text, field="邮费(元)")
    message = str(info.value)
    assert message.startswith("邮费(元): ") and problem in message
    assert repr(text.strip())[:40] in message
    assert len(message) < 200 and "\n" not in message


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (10**12 + 1, "implausibly large"),
        (-(10**30), "implausibly large"),
        pytest.param(10**5000, "implausibly large", id="int-past-str-digit-limit"),
        (float("inf"), "not a finite amount"),
        (float("-inf"), "not a finite amount"),
        (float("nan"), "not a finite amount"),
        (1e16, "implausibly large"),
        (1e-05, "more than two decimals"),
        (Decimal("sNaN"), "not a finite amount"),
        (Decimal("Infinity"), "not a finite amount"),
        (Decimal("1E+13"), "implausibly large"),
        (Decimal("1E-1000000000"), "more than two decimals"),  # not silently 0
        (Decimal("0.001"), "more than two decimals"),
        (b"12.90", "not an amount in yuan"),
        ([12], "not an amount in yuan"),
    ],
)
def test_numbers_are_bounded_and_exact(value: object, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as info:
        yuan_to_fen(value, field="postage")
    assert info.value.details["field"] == "postage"


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        (10**12, 10**14),
        (-(10**12), -(10**14)),
        (Decimal("1E+3"), 100000),
        (Decimal("12.900"), 1290),  # a Decimal is a value, not text: exactly 12.90
        (Decimal("-0"), 0),
        (1299.0, 129900),
    ],
)
def test_numbers_in_range_are_exact(value: object, fen: int) -> None:
    assert yuan_to_fen(value) == fen


def _grouped(whole: int) -> str:
    return f"{whole:,}"


@st.composite
def yuan_texts(draw: st.DrawFn) -> tuple[str, Decimal]:
    """A valid yuan text and the Decimal it stands for."""
    value = draw(st.decimals(min_value=-MAX_YUAN, max_value=MAX_YUAN, places=2))
    whole, fraction = divmod(abs(value), 1)
    digits = _grouped(int(whole)) if draw(st.booleans()) else str(int(whole))
    places = draw(st.sampled_from(["", ".1", ".2"]) if fraction * 10 % 1 == 0 else st.just(".2"))
    if places == "" and fraction:
        places = ".2"
    if places:
        digits += "." + f"{fraction:.2f}"[2:][: int(places[1])]
    mark = draw(st.sampled_from(["", "¥", "￥", "¥ ", "RMB "]))
    sign = "-" if value < 0 else ""
    body = draw(st.sampled_from([sign + mark + digits, mark + sign + digits]))
    suffix = draw(st.sampled_from(["", "", "元", " 元"])) if not mark else ""
    space = st.sampled_from(["", " ", "\t", "\u3000"])
    return draw(space) + body + suffix + draw(space), value


@given(yuan_texts())
def test_valid_yuan_texts_are_exact(case: tuple[str, Decimal]) -> None:
    text, value = case
    assert yuan_to_fen(text) == int(value * 100)


_INVALID = st.one_of(
    # a decimal comma: 19,90 / 1234,5
    st.builds(lambda w, f: f"{w},{f}", st.integers(0, 10**6), st.from_regex(r"\A[0-9]{1,2}\Z")),
    # separators out of place: 1,23,4 / 12,3456 / ,123 / 123,
    st.builds(
        lambda w, g: f"{w},{g}",
        st.integers(1, 10**6).map(_grouped),
        st.from_regex(r"\A([0-9]{1,2}|[0-9]{4,6})\Z"),
    ),
    st.builds(lambda w: f",{w}", st.integers(0, 10**6)),
    st.builds(lambda w: f"{w:,},", st.integers(0, 10**6)),
    # underscores and exponents: what Python and Decimal accept, a merchant never writes
    st.builds(lambda w: f"{w:_}", st.integers(1000, 10**9)),
    st.builds(lambda m, e: f"{m}{e}", st.integers(0, 999), st.sampled_from(["e3", "E2", "e-2"])),
    # three or more decimals, two dots
    st.builds(lambda w, f: f"{w}.{f}", st.integers(0, 10**6), st.from_regex(r"\A[0-9]{3,6}\Z")),
    st.builds(lambda a, b, c: f"{a}.{b}.{c}", *[st.integers(0, 999)] * 3),
    # a letter anywhere
    st.builds(
        lambda text, i, letter: text[:i] + letter + text[i:],
        st.just("1234.50"),
        st.integers(0, 7),
        st.sampled_from([*"aeExXnNb元", "inf", "NaN"]),
    ).filter(lambda t: not t.endswith("元")),
)


@given(_INVALID, st.sampled_from(["", "¥", "-"]))
def test_invalid_yuan_texts_are_refused(text: str, prefix: str) -> None:
    with pytest.raises(ValidationError) as info:
        yuan_to_fen(prefix + text, field="goods_price")
    assert info.value.details["field"] == "goods_price"
    assert repr(prefix + text)[:40] in str(info.value)


@given(st.text(max_size=30) | st.from_regex(r"\A[-¥ 0-9.,_eE+]{0,16}\Z"))
def test_any_text_is_an_exact_amount_or_the_modules_error(text: str) -> None:
    try:
        fen = yuan_to_fen(text)
    except ValidationError:
        return
    assert abs(fen) <= MAX_YUAN * 100
    digits = re.sub(r"[\s,¥￥元RMBCNY-]", "", text.translate(_FULL_WIDTH))
    assert Decimal(digits) * 100 == abs(fen)


_FULL_WIDTH = {0xFF10 + i: str(i) for i in range(10)}


@pytest.mark.parametrize(
    ("text", "fen"), [("1290", 1290), (" -12\t", -12), ("007", 7), ("１２", 12), ("0", 0)]
)
def test_whole_fen_reads_fen(text: str, fen: int) -> None:
    assert whole_fen(text) == fen


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "amount is empty"),
        ("12.90", "is not a whole number of fen"),
        ("1,290", "is not a whole number of fen"),
        ("1_290", "is not a whole number of fen"),
        ("1e3", "is not a whole number of fen"),
        ("--5", "is not a whole number of fen"),
        ("+5", "is not a whole number of fen"),
        ("²", "is not a whole number of fen"),  # str.isdigit() says yes, int() says no
        ("¥1290", "is not a whole number of fen"),
        (str(10**14 + 1), "is implausibly large"),
        ("9" * 5000, "is implausibly large"),
    ],
)
def test_whole_fen_refuses_anything_else(text: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as info:
        whole_fen(text, field="运费(分)")
    assert str(info.value).startswith("运费(分): ") and len(str(info.value)) < 120


@given(st.text(max_size=20))
def test_whole_fen_is_an_int_or_the_modules_error(text: str) -> None:
    try:
        fen = whole_fen(text)
    except ValidationError:
        return
    assert abs(fen) <= MAX_FEN


def test_contracts_bound_amounts_as_money_does() -> None:
    """`core.contracts` cannot import its sibling `core.money`; the two bounds agree."""
    assert contract_types.MAX_FEN == MAX_FEN == MAX_YUAN * 100
    assert MAX_FEN < 2**63  # the BIGINT columns hold every amount money lets through
