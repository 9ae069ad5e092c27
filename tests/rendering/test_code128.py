"""Code 128: the encoder's table against python-barcode's, and round trips through an
independent decoder."""

from __future__ import annotations

import barcode.charsets.code128 as reference
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationError
from plugins.renderers import code128
from tests.rendering.decode import WIDTHS, DecodeError, decode_code128


def as_modules(widths: str) -> str:
    return "".join(("1" if k % 2 == 0 else "0") * int(w) for k, w in enumerate(widths))


def scanline(modules: str, module_dots: int = 2) -> list[bool]:
    """A pixel row with quiet zones, each module `module_dots` wide."""
    row = "0" * 10 + modules + "0" * 10
    return [bit == "1" for bit in row for _ in range(module_dots)]


def test_pattern_table_matches_python_barcode() -> None:
    """Two tables typed independently (ours, the decoder's) agree with python-barcode's."""
    assert [as_modules(p) for p in code128.PATTERNS[:106]] == list(reference.CODES)
    assert code128.PATTERNS[:106] == tuple(WIDTHS[:106])
    assert code128.PATTERNS[106] == "2331112"
    assert all(sum(map(int, p)) == 11 for p in code128.PATTERNS[:106])


def test_waybill_number_uses_subset_c_for_its_digits() -> None:
    values = code128.encode_values("YT7500012345678")
    assert values[0] == code128.START_B
    assert code128.CODE_C in values
    # Y T 7 in B, then 12 digits as 6 pairs: 1 start + 3 + 1 switch + 6 + 1 check.
    assert len(values) == 12
    _bars, total = code128.bar_runs("YT7500012345678")
    assert total == 11 * len(values) + 13
    assert decode_code128(scanline(code128.modules("YT7500012345678"))) == "YT7500012345678"


def test_all_digits_start_in_subset_c() -> None:
    assert code128.encode_values("6901234567892")[0] == code128.START_C
    assert decode_code128(scanline(code128.modules("6901234567892"), 3)) == "6901234567892"


@given(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=30)
)
def test_round_trip_printable_ascii(data: str) -> None:
    assert decode_code128(scanline(code128.modules(data))) == data


@given(st.from_regex(r"[A-Z]{0,3}[0-9]{1,20}[A-Z]{0,2}", fullmatch=True))
def test_round_trip_waybill_like(data: str) -> None:
    assert decode_code128(scanline(code128.modules(data), 3)) == data


def test_control_characters_go_through_subset_a() -> None:
    data = "AB\tC\x1d12"
    assert decode_code128(scanline(code128.modules(data))) == data


def test_decoder_reads_python_barcode_output() -> None:
    """The decoder is not tuned to our encoder: it reads another implementation's bars."""
    from barcode import Code128

    modules = Code128("JT0012345678901").build()[0]
    assert decode_code128(scanline(modules)) == "JT0012345678901"


def test_decoder_rejects_a_wrong_check_value() -> None:
    modules = code128.modules("SF1234567890123")
    values = code128.encode_values("SF1234567890123")
    wrong = [*values[:-1], (values[-1] + 1) % 103]
    bad = "".join(as_modules(code128.PATTERNS[v]) for v in [*wrong, code128.STOP])
    assert bad != modules
    with pytest.raises(DecodeError):
        decode_code128(scanline(bad))


@pytest.mark.parametrize("data", ["", "运单123", "é"])
def test_refuses_what_code128_cannot_hold(data: str) -> None:
    with pytest.raises(ValidationError):
        code128.encode_values(data)
