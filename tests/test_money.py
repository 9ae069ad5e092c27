"""Money parsing: yuan text → integer fen, exactly, with clear errors (property tests)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationError
from core.money import fen_to_yuan_text, yuan_to_fen


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
