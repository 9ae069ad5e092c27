"""Whatever the gateway sends in an enum-like field (status codes, flags), the Pinduoduo
mapping reads an int or refuses the order with a ValidationError naming it — the error the
sync quarantines an order for — never a ValueError that fails the shop's whole pass."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.errors import ValidationError
from plugins.platforms.pinduoduo.scalars import small_int

VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=40), st.binary()
)


@given(value=VALUES)
@example(value="²")
@example(value="--5")
@example(value="-")
@example(value="٣")
@example(value="9" * 5000)
def test_any_value_reads_as_an_int_or_refuses_the_order(value: object) -> None:
    try:
        read = small_int(value, "order_status", "261206-1")
    except ValidationError as exc:
        assert "261206-1" in str(exc) and "order_status" in str(exc)
        return
    assert isinstance(read, int)


@pytest.mark.parametrize(("value", "read"), [(1, 1), ("2", 2), (" 3 ", 3), ("-1", -1)])
def test_what_the_gateway_sends_still_reads(value: object, read: int) -> None:
    assert small_int(value, "order_status", "261206-1") == read
